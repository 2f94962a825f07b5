"""The benchmark scripts of tools/analysis_tools at tiny sizes.

Each runs its ``main`` with one iteration of the smallest setting and
checks the JSON it reports; timings themselves are not checked (they mean
nothing on a shared test machine). The data pipeline and cascade scripts
use generated data, so nothing here needs ../shared/data.
"""
import copy
import os.path as osp

import pytest
import torch

from mcfa_mm.models.heads.targets import build_face_targets
from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def speed(load_tool):
    return load_tool('benchmark_speed')


def _tiny_cfg(**kwargs) -> dict:
    cfg = tiny_mcfa_config(**kwargs)
    cfg['head']['ohem_ratio'] = 0.7  # as the real configs
    return cfg


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(attr_mode='paper', with_bn=False),
    dict(attr_mode='equal'),
    dict(tasks=('landmark', 'attribute')),
])
def test_plain_mcfa_reproduces_the_detector(speed, kwargs):
    cfg = _tiny_cfg(**kwargs)
    torch.manual_seed(0)
    detector = MODELS.build(copy.deepcopy(cfg))
    plain = speed.PlainMCFA(cfg)
    speed.copy_detector_weights(plain, detector)
    assert sum(p.numel() for p in plain.parameters()) == sum(
        p.numel() for p in detector.parameters())
    check = speed.check_equivalence(detector, plain)
    assert check['max_abs_diff'] <= 1e-4


def test_plain_mcfa_gradients_match(speed):
    """Both arms' losses give the same gradients, layer by layer."""
    cfg = _tiny_cfg()
    torch.manual_seed(0)
    detector = MODELS.build(copy.deepcopy(cfg)).train()
    plain = speed.PlainMCFA(cfg).train()
    speed.copy_detector_weights(plain, detector)
    images, samples = speed.random_batch(4, 64, 8)
    inputs = detector.data_preprocessor(
        dict(inputs=list(images), data_samples=samples), True)['inputs']
    detector.parse_losses(detector.loss(inputs, samples))[0].backward()
    plain.loss(images, build_face_targets(samples, 8, 'cpu')).backward()
    for plain_module, det_module in speed.detector_module_pairs(
            plain, detector):
        for p, d in zip(plain_module.parameters(), det_module.parameters()):
            torch.testing.assert_close(p.grad, d.grad, rtol=1e-4, atol=1e-5)


def test_benchmark_speed_main(speed):
    report = speed.main([
        '--models', 'cpu', '--batch-sizes', '1', '--iters', '1', '--warmup',
        '0', '--repeats', '1', '--matmul-size', '64', '--matmul-iters', '1',
        '--channels-last', '--profile', '--profile-batch-size', '1'
    ])
    assert {'date', 'cpu_model', 'torch_threads'} <= set(report['machine'])
    model = report['models']['cpu']
    assert model['params'] == model['plain_params']
    assert model['equivalence']['max_abs_diff'] <= 1e-4
    assert model['gmacs_per_face_predict'] > 0
    train = model['train']['batch_1']
    assert train['matmul_gflops'] > 0
    for arm in ('detector', 'plain'):
        assert train[arm]['samples_per_s'] > 0
        assert train[arm]['gflops_ratio'] > 0
    assert 'framework_overhead_ratio' in train['detector']
    predict = model['predict']['batch_1']
    for arm in ('detector', 'plain', 'detector_channels_last',
                'plain_channels_last'):
        assert predict[arm]['samples_per_s'] > 0
    assert predict['detector_channels_last']['framework_overhead_ratio'] > 0
    assert predict['channels_last_max_abs_diff'] <= 1e-4
    profile = model['profile']
    assert {'preprocess', 'extract_feat', 'head_predict_batch',
            'rescale_and_rest'} <= set(profile['phases_ms'])
    assert profile['outputs_require_grad'] is False  # predict is no_grad
    assert profile['top_ops'] and 'profile_channels_last' in model


def test_benchmark_data_pipeline_main(data_env, load_tool):
    fake_roots = data_env
    module = load_tool('benchmark_data_pipeline')
    report = module.main([
        '--num-workers', '0', '1', '--batches', '1', '--train-iters', '1',
        '--repeats', '1', '--batch-size', '2', '--end-to-end'
    ])
    assert report['data_roots']['celeba_root'].startswith(
        fake_roots['celeba'])
    assert report['dataset']['train_samples'] > 0
    assert report['train_samples_per_s'] > 0
    for workers in (0, 1):
        entry = report['pipeline'][f'workers_{workers}']
        assert entry['pipeline_samples_per_s'] > 0
        assert entry['ratio'] == pytest.approx(
            entry['pipeline_samples_per_s'] / report['train_samples_per_s'],
            rel=1e-2)
        assert entry['end_to_end_samples_per_s'] > 0


def test_benchmark_cascade_main(fake_roots, load_tool):
    module = load_tool('benchmark_cascade')
    image_dir = osp.join(fake_roots['wild'], 'Img', 'img_wild')
    report = module.main([
        '--sizes', '128x128', '96x72', '--image-dir', image_dir,
        '--thresholds', '0', '0', '0', '--max-proposals', '3', '--repeats',
        '1', '--warmup', '0', '--matmul-size', '64', '--matmul-iters', '1'
    ])
    assert report['image_sources']['128x128'].startswith('real:')
    assert report['image_sources']['96x72'].startswith('real, resized')
    assert report['matmul_gflops'] > 0
    for name in ('128x128', '96x72'):
        image = report['images'][name]
        assert set(image['stages']) == {'s', 'm', 'l'}
        counts = image['num_proposals']
        assert 0 < counts['s'] <= 3 and counts['s'] >= counts['m'] >= \
            counts['l']
        assert image['stages']['s']['gmacs'] > 0
        assert image['stages']['m']['seconds'] > 0
        assert image['gflops_ratio'] > 0


def test_cascade_images_are_drawn_without_photos(load_tool, tmp_path):
    module = load_tool('benchmark_cascade')
    found = module.find_images([(80, 60)], str(tmp_path))
    image, source = found[(80, 60)]
    assert image.shape == (60, 80, 3) and source.startswith('generated')


def test_cascade_recall_main(fake_roots, monkeypatch, load_tool, tmp_path):
    """Per-stage recall of the CPU-sized cascade config with random
    weights on the generated in-the-wild layout."""
    from mmengine.config import Config
    monkeypatch.setenv('MCFA_WILD_ROOT', fake_roots['wild'])
    config = osp.join(REPO_ROOT, 'configs', 'mcfa',
                      'mcfa_vgg16-w025-128px_cascade_wild.py')
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    module = load_tool('cascade_recall')
    out = tmp_path / 'recall.json'
    report = module.main([
        config, checkpoint, '--max-images', '2', '--out',
        str(out), '--cfg-options', 'model.test_cfg.thresholds=[0,0,0]',
        'model.test_cfg.max_proposals=4'
    ])
    assert out.exists()
    assert report['images'] == 2 and report['faces'] >= 2
    # (M and L calibrate their windows, so recall need not fall per stage)
    assert all(0 <= report['recall'][k] <= 1 for k in 'sml')
    assert 0 < report['boxes_per_image']['s'] <= 4
    assert report['boxes_per_image']['s'] >= report['boxes_per_image']['l']
    # every L_Net box falls in exactly one IoU band
    # (each fraction is rounded to 4 decimals)
    assert sum(report['l_boxes_by_iou'].values()) == pytest.approx(1, abs=1e-3)
    assert 0 <= report['top_box_found'] <= 1
    on_labels = report['l_net_on_labelled_boxes']
    assert 0 <= on_labels['face_prob_mean'] <= 1
    assert 0 <= on_labels['face_prob_2x_window_mean'] <= 1
    assert 0 <= on_labels['calibrated_box_iou_mean'] <= 1
    assert on_labels['nme_mean'] > 0
