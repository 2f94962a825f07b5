from .cpu_amp_optim_wrapper import CPU_AMP_DTYPES, CPUAmpOptimWrapper

__all__ = ['CPUAmpOptimWrapper', 'CPU_AMP_DTYPES']
