"""Cascade settings on the carved val splits (wild + LFWA), side by side in
one process: AP50 / AP, NME of found faces and seconds per photo, with the
shipped default model. The measurement script of docs/benchmarks.md
("The cascade's settings"); run from the repository root:

    OMP_NUM_THREADS=2 python docs/bench/round6/cascade_val.py \
        '{"a": {}, "b": {"min_face_size": 32}, "c": {"flip": false}}' out.json

Seconds per photo include building the split's dataset (its annotation
files) once per variant, the same in every variant of a run.

Each variant maps to test_cfg.cascade changes, plus "flip" (test_cfg.flip)
and "antialias" (the pyramid's bilinear resize with antialias=True, not a
setting of the cascade: measured for the review's suspicion, not adopted).
"""
import json, sys, time, copy
import torch.nn.functional as F
from mmengine.config import Config
import mcfa_mm  # noqa
from mcfa_mm.utils.benchmarking import evaluate_dataset
from mmdet.apis import init_detector
from mmdet.registry import DATASETS

CKPT = 'checkpoints/mcfa-recipe_vgg16-w025-128px_bf16_celeba-extra-multisource_20261206-6e6d116e.pth'
cfg = Config.fromfile('configs/mcfa/mcfa-recipe_vgg16-w025-128px_bf16_cascade_wild.py')
model = init_detector(cfg, CKPT, device='cpu')
ev = cfg.test_evaluator
sets = dict(
    wild=dict(cfg.wild_photos_loader.dataset, split='val'),
    lfwa=dict(cfg.lfwa_photos_loader.dataset, split='val'))
variants = json.loads(sys.argv[1])
out = {}
orig = F.interpolate
for name, spec in variants.items():
    spec = dict(spec)
    antialias = spec.pop('antialias', False)
    flip = spec.pop('flip', True)
    base = copy.deepcopy(model.test_cfg)
    model.test_cfg['flip'] = flip
    model.test_cfg['cascade'].update(spec)
    if antialias:
        F.interpolate = lambda *a, **k: orig(*a, **dict(k, antialias=True)) if k.get('mode') == 'bilinear' else orig(*a, **k)
    for set_name, ds in sets.items():
        start = time.perf_counter()
        metrics = evaluate_dataset(model, ds, copy.deepcopy(ev), batch_size=1)
        seconds = time.perf_counter() - start
        n = len(DATASETS.build(ds))
        keep = {k: round(v, 4) for k, v in metrics.items() if 'bbox_mAP' in k and k.endswith(('mAP', 'mAP_50')) or 'nme' in k.lower() or 'missed' in k.lower()}
        out[f'{name}/{set_name}'] = dict(keep, s_per_photo=round(seconds / n, 4), photos=n)
        print(name, set_name, out[f'{name}/{set_name}'], flush=True)
    F.interpolate = orig
    model.test_cfg = base
json.dump(out, open(sys.argv[2], 'w'), indent=1)
