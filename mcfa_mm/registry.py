"""mcfa_mm's own registry scope, a child of MMDetection's.

Every mcfa-mm component registers in MMDetection's registries (configs run
with ``default_scope='mmdet'``). This scope exists for one name only:
``LoadImageFromFile`` here is :class:`~mcfa_mm.datasets.transforms.
LoadFaceImageFromFile` (mmcv's loader that names a bad file). The test
pipelines write ``dict(type='LoadImageFromFile', _scope_='mcfa_mm')``:

- MMDetection's ``DetInferencer`` finds the pipeline's loader by the type
  name ``'LoadImageFromFile'`` and swaps in its ``InferencerLoader``; that
  step keeps ``_scope_='mcfa_mm'``, so the loader ``InferencerLoader``
  builds for a path is ours as well: ``DetInferencer`` runs our configs
  unchanged and a bad photo still fails naming the file.
- ``tools/test.py`` and every other builder resolve the name in this scope,
  i.e. to our loader, exactly as before.

Registering ours as ``LoadImageFromFile`` in MMDetection's own registry
would do the same with no ``_scope_`` key, but it would also replace mmcv's
loader for every other MMDetection config in the process (the YOLOX
baseline, a user's detector): importing mcfa_mm must not change them.

MMEngine imports ``mcfa_mm.registry`` whenever it switches to the
``mcfa_mm`` scope, hence this module's name and place (OpenMMLab's layout).
"""
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmengine.registry import Registry

#: Data transforms of scope ``mcfa_mm``; anything not found here is looked
#: up in MMDetection's registry (the parent). The location registers
#: ``LoadImageFromFile`` on first use.
TRANSFORMS = Registry(
    'transform',
    parent=MMDET_TRANSFORMS,
    scope='mcfa_mm',
    locations=['mcfa_mm.datasets.transforms'])

__all__ = ['TRANSFORMS']
