"""Distributed runs on CPU-only torch (gloo) for tools/train.py, test.py."""
import datetime

import torch
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel


def setup_cpu_distributed(cfg: Config) -> None:
    """Let ``--launcher pytorch`` (``tools/dist_*.sh``) run without CUDA.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` and its default
    model wrapper passes ``device_ids=[LOCAL_RANK]`` to DDP; both fail on a
    CPU-only torch. So the gloo process group is created here (the Runner
    then skips ``init_dist``) and DDP is built without device ids. Nothing
    changes when CUDA is available.

    Args:
        cfg (Config): The config; ``model_wrapper_cfg`` is set.
    """
    if (cfg.launcher != 'pytorch' or torch.cuda.is_available()
            or torch.distributed.is_initialized()):
        return
    timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
    kwargs = {} if timeout is None else dict(
        timeout=datetime.timedelta(seconds=timeout))
    # the configs name nccl, which needs CUDA; gloo is torch's CPU backend
    torch.distributed.init_process_group(backend='gloo', **kwargs)
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        # what the Runner builds when the config names no wrapper
        wrapper = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_type = wrapper['type']
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type)
    if isinstance(wrapper_type, type) and issubclass(wrapper_type,
                                                     DistributedDataParallel):
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
