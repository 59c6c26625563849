from .finite_loss_hook import FiniteLossHook
from .random_state_hook import ResumeRandomStateHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['FiniteLossHook', 'ResumeRandomStateHook', 'SafeCheckpointHook']
