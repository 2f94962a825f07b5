"""Every config loads, and builds its model, datasets and pipelines."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mcfa_mm.testing import write_fake_layouts
from mmdet.registry import DATASETS, MODELS

CONFIG_ROOT = osp.join(osp.dirname(__file__), '..', 'configs')
CONFIGS = sorted(glob.glob(osp.join(CONFIG_ROOT, 'mcfa', '*.py')))


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('layouts'))
    roots = write_fake_layouts(root, num_images=12)
    roots['hard_negatives'] = _hard_negatives(
        roots, str(tmp_path_factory.mktemp('hard_negatives')))
    return roots


def _hard_negatives(fake_roots, folder) -> str:
    """A negatives file per photo set: one box in each image's corner."""
    from mcfa_mm.datasets import LFWADataset, WildFaceDataset
    for name, cls in (('lfwa', LFWADataset), ('wild', WildFaceDataset)):
        dataset = cls(data_root=fake_roots[name], split='all')
        with open(osp.join(folder, f'{name}.txt'), 'w') as file:
            for i in range(len(dataset)):
                file.write(dataset.get_data_info(i)['img_id'] +
                           ' 0 0 12 12 0.9\n')
    return folder


def _mcfa_config(name: str) -> Config:
    """A config under configs/mcfa, by file name."""
    return Config.fromfile(osp.join(CONFIG_ROOT, 'mcfa', name))


def _load(config, fake_roots, monkeypatch):
    monkeypatch.setenv('MCFA_HARD_NEGATIVES', fake_roots['hard_negatives'])
    for key, env in (('celeba', 'MCFA_CELEBA_ROOT'),
                     ('lfwa', 'MCFA_LFWA_ROOT'), ('wild', 'MCFA_WILD_ROOT'),
                     ('demo', 'MCFA_DEMO_ROOT'),
                     ('celeba_full', 'MCFA_CELEBA_FULL_ROOT')):
        monkeypatch.setenv(env, fake_roots[key])
    return Config.fromfile(config)


def test_configs_found():
    assert len(CONFIGS) >= 9


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_config_builds(config, fake_roots, monkeypatch):
    cfg = _load(config, fake_roots, monkeypatch)
    assert cfg.custom_imports.imports == ['mcfa_mm']
    model = MODELS.build(cfg.model)
    if cfg.model.backbone.input_size == 224:
        assert model.neck.out_channels == (256, 1280, 2304)
    size = cfg.model.backbone.input_size
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = DATASETS.build(cfg[loader].dataset)
        assert len(dataset) > 0, loader
        sample = dataset[0]
        assert sample['inputs'].shape[-2:] == (size, size), loader
        gt = sample['data_samples'].gt_instances
        assert gt.attributes.shape[-1] == cfg.model.head.num_attributes


def test_env_var_overrides_data_root(fake_roots, monkeypatch):
    config = [
        c for c in CONFIGS
        if osp.basename(c).startswith('mcfa_vgg16-w025-128px_1xb32')
        and 'multisource' in c
    ][0]
    cfg = _load(config, fake_roots, monkeypatch)
    roots = [d.data_root for d in cfg.train_dataloader.dataset.datasets]
    assert roots[0].startswith(fake_roots['celeba'])
    assert roots[2].startswith(fake_roots['wild'])


def test_recipe_config_keeps_its_losses_and_cascade_settings():
    """The recipe's levers and its cascade choices live in one ``model``.

    A second ``model = dict(...)`` in the same file replaces the first (it is
    Python), which once dropped Wing / L1 / the face weight silently.
    """
    recipe = _mcfa_config(
        'mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py')
    head = recipe.model.head
    assert head.loss_landmark.type == 'WingLoss'
    assert head.loss_bbox.type == 'L1Loss'
    assert head.loss_weights.face_cls == 2.0
    assert head.loss_attr.scale_by_num_attributes
    assert recipe.model.test_cfg.min_face_size == 40
    assert recipe.model.test_cfg.max_per_img == 20


def test_two_core_recipe_is_the_recipe_with_a_longer_schedule():
    """The 2-core hour config changes the schedule's length and nothing else.

    Its cosine decay must end at its own ``max_iters`` (the base leaves the
    cosine's end open for this), and its model must be the recipe's.
    """
    def recipe(iters):
        return _mcfa_config(f'mcfa-recipe_vgg16-w025-128px_1xb32-{iters}i_'
                            'celeba-multisource.py')

    one_core, two_core = recipe(3000), recipe(4500)
    assert two_core.train_cfg.max_iters == 4500
    assert two_core.train_cfg.val_interval == 4500
    assert two_core.model == one_core.model
    assert two_core.train_dataloader == one_core.train_dataloader
    cosine = two_core.param_scheduler[1]
    assert cosine.type == 'CosineAnnealingLR'
    assert 'end' not in cosine and 'T_max' not in cosine


def test_chosen_lfwa_fine_tune_only_lengthens_and_speeds_up_the_base():
    """The 900-iteration LFWA fine-tune keeps the base's data and model."""
    def fine_tune(iters):
        return _mcfa_config(
            f'mcfa-recipe_vgg16-w025-128px_1xb32-{iters}i_lfwa-ft.py')

    base, chosen = fine_tune(300), fine_tune(900)
    assert chosen.train_cfg.max_iters == 900
    assert chosen.train_cfg.val_interval == 900
    assert chosen.default_hooks.checkpoint.interval == 900
    assert chosen.optim_wrapper.optimizer.lr == 2e-3
    assert base.optim_wrapper.optimizer.lr == 5e-4
    assert chosen.model == base.model
    assert chosen.train_dataloader == base.train_dataloader
    assert chosen.test_dataloader.dataset.split == 'test'
    assert chosen.val_dataloader.dataset.split == 'val'


def test_paper_arm_takes_out_every_recipe_lever():
    paper = _mcfa_config(
        'mcfa-paper_vgg16-w025-128px_1xb32-1100i_celeba-multisource.py')
    head = paper.model.head
    assert head.loss_landmark == dict(type='MSELoss')
    assert head.loss_bbox == dict(type='MSELoss')
    assert set(head.loss_weights.values()) == {1.0}
    assert head.loss_attr.mode == 'paper'
    assert not head.loss_attr.scale_by_num_attributes
    assert paper.train_dataloader.sampler.type == 'InfiniteSampler'
    assert paper.train_cfg.max_iters == 1100
