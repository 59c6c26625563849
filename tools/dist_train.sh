#!/usr/bin/env bash
# Multi-GPU / multi-node training: bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node.
exec bash "$(dirname "$0")/dist_launch.sh" "$2" tools/train.py "$1" "${@:3}"
