#!/usr/bin/env bash
# torchrun + mmengine's pytorch launcher, shared by dist_train.sh / dist_test.sh.
#   [MAX_RESTARTS=0] bash tools/dist_launch.sh NPROC SCRIPT [script args...]
# Multi-node: set NNODES, MASTER_ADDR (and PORT) on every node; NODE_RANK is
# accepted, but ranks are assigned when the nodes meet (c10d rendezvous).
# MAX_RESTARTS: how often torchrun restarts the whole worker group after a
# worker fails (a killed process, an out-of-memory kill); tools/train.py then
# resumes from the newest checkpoint by itself.
NPROC=$1
SCRIPT=$2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# c10d rendezvous, not the static one (--master_addr / --master_port): after
# a failure, torchrun's static rendezvous hands the restarted workers the
# old store and gloo's connectFullMesh fails ("Connection refused").
# And each attempt's workers get a store of their own: with the rendezvous'
# store shared (torch's default since 2.5), a restarted worker can read the
# previous attempt's gloo addresses (or NCCL id) and fail to connect
# (pytorch/pytorch#135712; seen here with torch 2.13 on the second restart).
export TORCH_DISABLE_SHARE_RDZV_TCP_STORE="${TORCH_DISABLE_SHARE_RDZV_TCP_STORE:-1}"
PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
exec python -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node-rank="${NODE_RANK:-0}" \
    --nproc-per-node="$NPROC" \
    --rdzv-backend=c10d \
    --rdzv-endpoint="${MASTER_ADDR:-127.0.0.1}:${PORT:-29500}" \
    --rdzv-id="${RDZV_ID:-mmseg_depict}" \
    --max-restarts="${MAX_RESTARTS:-0}" \
    "$ROOT/$SCRIPT" "${@:3}" --launcher pytorch
