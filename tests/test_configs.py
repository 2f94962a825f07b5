"""Every config loads, and builds its model, datasets and pipelines."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mcfa_mm.testing import write_fake_layouts
from mmdet.registry import DATASETS, MODELS

CONFIG_ROOT = osp.join(osp.dirname(__file__), '..', 'configs')
#: The model configs: what users train and test with (configs/mcfa) and the
#: study arms (configs/mcfa_study).
CONFIGS = sorted(glob.glob(osp.join(CONFIG_ROOT, 'mcfa*', '*.py')))


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
    """A config under configs/mcfa or configs/mcfa_study, by file name."""
    path, = [c for c in CONFIGS if osp.basename(c) == name]
    return Config.fromfile(path)


def _load(config, fake_roots, monkeypatch):
    monkeypatch.setenv('MCFA_HARD_NEGATIVES', fake_roots['hard_negatives'])
    for key, env in (('celeba', 'MCFA_CELEBA_ROOT'),
                     ('lfwa', 'MCFA_LFWA_ROOT'), ('wild', 'MCFA_WILD_ROOT'),
                     ('demo', 'MCFA_DEMO_ROOT'),
                     ('celeba', 'MCFA_CELEBA_EXTRA_ROOT'),
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
    # the cascade's own defaults but for the faces kept per photo
    assert recipe.model.test_cfg.cascade == dict(max_per_img=20)
    assert recipe.model.test_cfg.flip


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


#: Every config under configs/, the bases and the baselines included.
ALL_CONFIGS = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True))
#: Datasets whose partition file has no val rows: their val split is
#: carved out of train by ``val_fraction``.
CARVED_VAL_TYPES = ('LFWADataset', 'WildFaceDataset')
#: Dataset wrappers, whose datasets sit under ``datasets`` / ``dataset``.
WRAPPERS = ('ConcatDataset', 'MultiImageMixDataset', 'RepeatDataset',
            'ClassBalancedDataset')


def _leaf_datasets(dataset) -> list:
    """The datasets a dataset config reads, through the wrappers."""
    if dataset is None:
        return []
    if dataset.get('type') not in WRAPPERS:
        return [dataset]
    inner = dataset.get('datasets') or [dataset.get('dataset')]
    return [leaf for child in inner for leaf in _leaf_datasets(child)]


def _loader_datasets(cfg, loader: str) -> list:
    return _leaf_datasets((cfg.get(loader) or {}).get('dataset'))


def _short(dataset) -> str:
    return (f"{dataset.get('type')}(split={dataset.get('split')!r}, "
            f"val_fraction={dataset.get('val_fraction')})")


@pytest.mark.parametrize(
    'config', ALL_CONFIGS, ids=lambda c: osp.relpath(c, CONFIG_ROOT))
def test_validation_never_sees_test_and_training_never_sees_val(config):
    """Choices made on validation must not be made on the test split, and
    the carved val split must not be trained on.

    - Every dataset of ``val_dataloader`` is a val split: never ``test``
      (nor ``all`` / ``trainval``, which hold more than val); on LFWA and
      the wild set, which have no val partition, the carved one
      (``val_fraction`` > 0), else it would be empty.
    - Every LFWA / wild training dataset is ``split='train'`` with the
      ``val_fraction`` that carves the val out of it (``trainval`` or
      ``train`` without it would train on the val split), the same as
      the config's own val of that set, when it has one.

    Test-only configs may test on the test split; their val is checked
    all the same (``tools/train.py`` and the val loop would use it).
    """
    cfg = Config.fromfile(config)
    val_sets = _loader_datasets(cfg, 'val_dataloader')
    for dataset in val_sets:
        assert dataset.get('split') == 'val', _short(dataset)
        if dataset.get('type') in CARVED_VAL_TYPES:
            assert dataset.get('val_fraction', 0) > 0, _short(dataset)
    carved = {(d['type'], d.get('data_root')): d['val_fraction']
              for d in val_sets if d.get('type') in CARVED_VAL_TYPES}
    for dataset in _loader_datasets(cfg, 'train_dataloader'):
        if dataset.get('type') not in CARVED_VAL_TYPES:
            continue
        assert dataset.get('split') == 'train', _short(dataset)
        assert dataset.get('val_fraction', 0) > 0, _short(dataset)
        key = (dataset['type'], dataset.get('data_root'))
        if key in carved:
            assert dataset['val_fraction'] == carved[key], _short(dataset)


def test_every_config_with_loaders_is_checked():
    """The check above reads the configs' loaders (not none of them)."""
    checked = [
        c for c in ALL_CONFIGS if _loader_datasets(
            Config.fromfile(c), 'val_dataloader')
    ]
    names = {osp.basename(c) for c in checked}
    assert {'lfwa.py', 'wild_faces.py', 'mcfa_vgg16_8xb32-10e_lfwa.py',
            'mcfa_vgg16-w025-128px_crop_wild.py',
            'mcfa-recipe_vgg16-w025-128px_bf16_crop_wild.py',
            'yolox_nano_1xb16-1h_wild-lfwa-faces.py'} <= names
    assert len(checked) >= len(CONFIGS)


def _config_bases(path: str) -> list:
    """The config files ``path`` names in ``_base_`` (mmdet's own left
    out), as absolute paths."""
    bases = Config._get_base_files(path)
    return [
        osp.normpath(osp.join(osp.dirname(path), base)) for base in bases
        if '::' not in base
    ]


def _config_depth(path: str) -> int:
    """Configs outside ``_base_`` on the longest inheritance chain from
    ``path`` (itself included): 1 for a config built from bases only."""
    below = [_config_depth(base) for base in _config_bases(path)]
    own = 0 if f'{osp.sep}_base_{osp.sep}' in path else 1
    return own + max(below, default=0)


USER_CONFIGS = sorted(glob.glob(osp.join(CONFIG_ROOT, 'mcfa', '*.py')))


@pytest.mark.parametrize('config', USER_CONFIGS, ids=osp.basename)
def test_user_configs_inherit_at_most_one_other_config(config):
    """A test config derives from its model's training config, which is
    built from ``_base_`` files only; no chain of study arms in between."""
    assert _config_depth(config) <= 2


def _shipped_models() -> list:
    import yaml
    with open(osp.join(CONFIG_ROOT, 'mcfa', 'metafile.yml')) as file:
        return yaml.safe_load(file)['Models']


@pytest.mark.parametrize(
    'entry', _shipped_models(), ids=lambda entry: entry['Name'])
def test_shipped_model_has_test_configs_of_its_own(entry):
    """Each zoo model is tested through configs that build *its* model: the
    test configs named after its training config (``<prefix>_crop_lfwa``
    and so on) hold the same network, losses and inference settings as the
    training config, but for the mode and the cascade's minimum face."""
    train_path = osp.join(CONFIG_ROOT, '..', entry['Config'])
    prefix = osp.basename(train_path).split('_1xb')[0]
    tests = sorted(
        glob.glob(osp.join(CONFIG_ROOT, 'mcfa', f'{prefix}_c*_*.py')))
    assert [osp.basename(t)[len(prefix) + 1:] for t in tests] == [
        'cascade_lfwa.py', 'cascade_wild.py', 'crop_lfwa.py', 'crop_wild.py'
    ]
    trained = Config.fromfile(train_path).model.to_dict()
    trained['test_cfg'].pop('mode', None)
    trained['test_cfg'].get('cascade', {}).pop('min_face_size', None)
    for test in tests:
        model = Config.fromfile(test).model.to_dict()
        model['test_cfg'].pop('mode', None)
        model['test_cfg'].get('cascade', {}).pop('min_face_size', None)
        assert model == trained, osp.basename(test)
