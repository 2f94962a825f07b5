"""The model zoo: metafile lookup and init_face_model()."""
import os.path as osp

import pytest
import torch

from mcfa_mm.apis import (DEFAULT_MODEL, get_model, init_face_model,
                          list_models, load_metafile)
from mcfa_mm.apis.model_zoo import METAFILE, RESOURCES_ROOT, get_config_file


def test_get_model_resolves_paths_against_the_repository(tiny_zoo):
    config, weights = get_model(metafile=tiny_zoo['metafile'])
    assert config == tiny_zoo['config']
    assert weights == tiny_zoo['checkpoint']
    assert list_models(tiny_zoo['metafile']) == [DEFAULT_MODEL, 'no-weights']


def test_unknown_model_lists_the_known_ones(tiny_zoo):
    with pytest.raises(KeyError, match="no model named 'nope'.*no-weights"):
        get_model('nope', metafile=tiny_zoo['metafile'])


def test_missing_weights_name_the_file(tiny_zoo):
    with pytest.raises(FileNotFoundError, match=r'missing\.pth.*weights'):
        get_model('no-weights', metafile=tiny_zoo['metafile'])


def test_missing_metafile_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='metafile.yml'):
        load_metafile(str(tmp_path / 'configs' / 'mcfa' / 'metafile.yml'))


def test_resources_are_the_checkout_in_an_editable_install():
    # a checkout wins over mcfa_mm/.mim (copies there may be stale)
    assert METAFILE == osp.join(RESOURCES_ROOT, 'configs', 'mcfa',
                                'metafile.yml')
    assert osp.isfile(
        osp.join(RESOURCES_ROOT, 'mcfa_mm', 'apis', 'model_zoo.py'))
    name = 'mcfa/mcfa-recipe_vgg16-w025-128px_cascade_wild.py'
    assert get_config_file(name) == osp.join(RESOURCES_ROOT, 'configs', name)
    assert get_config_file('configs/' + name) == get_config_file(name)
    with pytest.raises(FileNotFoundError, match='no such config'):
        get_config_file('mcfa/nope.py')


def test_init_face_model_without_arguments_is_the_shipped_model(
        shipped_tiny):
    model = init_face_model()
    # the config says crop; the shipped model is for whole photos
    assert model.test_cfg['mode'] == 'cascade'
    assert not model.training
    assert model.dataset_meta['attribute_names'] == shipped_tiny['names']
    assert model.dataset_meta['classes'] == ('face', )
    saved = torch.load(shipped_tiny['checkpoint'], weights_only=True)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved['state_dict'][key])


def test_init_face_model_by_name_and_mode(shipped_tiny):
    model = init_face_model(DEFAULT_MODEL, mode='crop')
    assert model.test_cfg['mode'] == 'crop'
    with pytest.raises(KeyError, match='nope'):
        init_face_model('nope')
    with pytest.raises(ValueError, match='mode'):
        init_face_model(mode='sliding')


def test_init_face_model_with_config_file(tiny_zoo):
    model = init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint'])
    assert model.test_cfg['mode'] == 'crop'  # the config's own
    assert model.dataset_meta['attribute_names'] == tiny_zoo['names']
    # no checkpoint: random weights, names from the fallback
    with pytest.warns(UserWarning, match='checkpoint is None'):
        bare = init_face_model(tiny_zoo['config'])
    assert bare.dataset_meta['attribute_names'] == tuple(
        f'attr_{i}' for i in range(8))
    assert bare.dataset_meta['classes'] == ('face', )


def test_checkpoint_without_config_is_refused(tiny_zoo):
    with pytest.raises(ValueError, match='without its config'):
        init_face_model(checkpoint=tiny_zoo['checkpoint'])


def test_predict_only_folds_batchnorm_and_casts_weights(tiny_zoo):
    bf16 = {'model.test_cfg.precision': 'bf16'}
    model = init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint'],
                            cfg_options=bf16)
    assert next(model.backbone.parameters()).dtype == torch.bfloat16
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    trainable = init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint'],
                                cfg_options=bf16, predict_only=False)
    assert next(trainable.backbone.parameters()).dtype == torch.float32
    assert any(
        isinstance(m, torch.nn.BatchNorm2d) for m in trainable.modules())
    with pytest.warns(FutureWarning, match='predict_only'):
        old_name = init_face_model(tiny_zoo['config'],
                                   tiny_zoo['checkpoint'], cfg_options=bf16,
                                   fuse_conv_bn=False)
    assert next(old_name.backbone.parameters()).dtype == torch.float32
