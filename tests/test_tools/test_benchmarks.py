"""The benchmark scripts of tools/analysis_tools at tiny sizes.

Each runs its ``main`` with one iteration of the smallest setting and
checks the JSON it reports; timings themselves are not checked (they mean
nothing on a shared test machine). They use generated data, so nothing
here needs ../shared/data.
"""
import math
import os.path as osp

import pytest

from mmengine.config import Config

from mcfa_mm.datasets import LFWADataset, WildFaceDataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def speed(load_tool):
    return load_tool('benchmark_speed')


def test_benchmark_speed_main(speed, fake_roots):
    report = speed.main([
        '--models', 'cpu', '--batch-sizes', '1', '--iters', '1', '--warmup',
        '0', '--repeats', '1', '--matmul-size', '64', '--matmul-iters', '1',
        '--precision', '--modes', 'train', 'predict', 'cascade', '--photos',
        '2', '--wild-root', fake_roots['wild'], '--cfg-options',
        'model.test_cfg.cascade.thresholds=[0,0,0]',
        'model.test_cfg.cascade.max_proposals=3'
    ])
    assert {'date', 'cpu_model', 'torch_threads', 'PyTorch',
            'MMDetection'} <= set(report['machine'])
    assert set(report['peaks_gflops']) == {'fp32', 'bf16'}
    model = report['models']['cpu']
    assert model['params'] == 3067280  # docs/study_log.md
    # docs/study_log.md: 0.405 GMACs for all stages' outputs; prediction
    # runs L_Net's head only
    assert model['gmacs_per_sample_train_forward'] == pytest.approx(
        0.405, abs=5e-4)
    assert 0.404 < model['gmacs_per_face_predict'] < \
        model['gmacs_per_sample_train_forward']
    train = model['train']['batch_1']
    assert train['matmul_gflops'] > 0
    assert train['detector']['samples_per_s'] > 0
    assert train['detector']['gflops_ratio'] > 0
    # --precision: bf16 autocast NHWC from the same weights, losses finite
    assert train['bf16_nhwc']['speedup'] > 0
    assert set(train['last_losses']) == {'detector', 'bf16_nhwc'}
    assert all(math.isfinite(v) for v in train['last_losses'].values())
    predict = model['predict']['batch_1']
    assert set(predict) >= {'detector', 'default', 'matmul_gflops'}
    # the cpu config's defaults: fp32, conv-BN folded (same weights)
    assert predict['default']['speedup'] > 0
    assert predict['attribute_scores_max_abs_diff'] <= 1e-4
    defaults = model['inference_defaults']
    assert defaults['precision'] in (None, 'fp32')
    # --cfg-options reached the model, nested as test_cfg.cascade
    assert list(defaults['cascade']['thresholds']) == [0, 0, 0]
    cascade = model['cascade']
    assert cascade['photos'] == 2 and cascade['faces'] == 2
    for arm in ('fp32_nchw', 'default'):
        entry = cascade[arm]
        assert entry['seconds_per_photo'] > 0
        assert 0 <= entry['faces_found'] <= 2
        stages = entry['stages']
        proposals = [stages[s]['proposals_per_photo'] for s in 'sml']
        # every window passes threshold 0: S keeps exactly max_proposals,
        # and each later stage's NMS can only drop boxes
        assert proposals[0] == 3 and proposals == sorted(proposals)[::-1]
        assert proposals[1] > 0
        assert all(stages[s]['seconds_per_photo'] > 0 for s in 'sml')
        assert stages['s']['gmacs_per_photo'] > 0
        assert stages['m']['gmacs_per_photo'] > 0
        # the final boxes are L's best max_per_img
        assert entry['faces_found'] <= stages['l']['faces_found'] <= 2
        # one timed pass: the stages are part of its time
        assert entry['other_seconds_per_photo'] >= 0
    assert cascade['default_speedup'] > 0
    assert 'mtcnn' in cascade or 'not importable' in cascade['mtcnn_note']


def test_benchmark_speed_sizes_only(speed):
    """Without a mode: the model's size (docs/study_log.md, model size)."""
    model = speed.main(['--models', 'cpu', '--modes'])['models']['cpu']
    assert model['train'] == {} and model['predict'] == {}
    assert [model[f'{stages}_backbone_neck_gmacs']
            for stages in ('S', 'S+M', 'S+M+L')] == pytest.approx(
                [0.012, 0.085, 0.404], abs=6e-4)
    assert model['conv_gmacs'] + model['linear_gmacs'] == pytest.approx(
        model['gmacs_per_sample_train_forward'], abs=2e-4)


@pytest.fixture
def pipeline_env(data_env, monkeypatch):
    """:func:`data_env`, and the default config's second CelebA root: the
    same generated layout again (else ../shared/data/celeba_extra)."""
    monkeypatch.setenv('MCFA_CELEBA_EXTRA_ROOT', data_env['celeba'])
    return data_env


def test_benchmark_data_pipeline_main(pipeline_env, load_tool):
    fake_roots = pipeline_env
    module = load_tool('benchmark_data_pipeline')
    report = module.main([
        '--num-workers', '0', '1', '--batches', '1', '--train-iters', '1',
        '--repeats', '1', '--batch-size', '2', '--end-to-end'
    ])
    assert report['data_roots']['celeba_root'].startswith(
        fake_roots['celeba'])
    # the sources of the batch mix, each through its ConcatDataset
    # wrappers: both CelebA roots' partition-0 crops; then LFWA and wild
    # photos (less the val split carved out of them: they have none) for
    # the mined landmark faces, part faces and non-faces
    celeba = ['CelebADataset', _train_rows(fake_roots['celeba'])]
    photos = [['LFWADataset', _carved_train(LFWADataset, fake_roots['lfwa'])],
              ['WildFaceDataset',
               _carved_train(WildFaceDataset, fake_roots['wild'])]]
    sources = report['dataset']['sources']
    expected = [[celeba, celeba]] + [photos] * 3
    assert [source['datasets'] for source in sources] == expected
    for source in sources:
        assert source['samples'] == sum(n for _, n in source['datasets'])
    assert photos[0][1] < _train_rows(fake_roots['lfwa'])
    assert report['dataset']['train_samples'] == sum(
        s['samples'] for s in sources)
    assert report['dataset']['batch_size'] == 2
    assert report['train_samples_per_s'] > 0
    for workers in (0, 1):
        entry = report['pipeline'][f'workers_{workers}']
        assert entry['pipeline_samples_per_s'] > 0
        assert entry['ratio'] == pytest.approx(
            entry['pipeline_samples_per_s'] / report['train_samples_per_s'],
            rel=1e-2)
        assert entry['end_to_end_samples_per_s'] > 0


def _carved_train(dataset_type, root: str) -> int:
    """Images of the train split once 10 % is carved out as val."""
    return len(dataset_type(data_root=root, split='train', val_fraction=0.1,
                            lazy_init=False))


def _train_rows(root: str) -> int:
    """Images of partition 0 in a layout's partition file."""
    with open(osp.join(root, 'Eval', 'list_eval_partition.txt')) as f:
        return sum(line.split()[1] == '0' for line in f if line.strip())


def test_pipeline_rate_counts_the_samples_it_times(pipeline_env,
                                                   load_tool):
    """The rate's numerator: 3 batches of 2 samples (the first batch,
    which starts the workers, is timed apart)."""
    module = load_tool('benchmark_data_pipeline')
    cfg = Config.fromfile(osp.join(REPO_ROOT, module.DEFAULT_CONFIG))
    timing = module.time_pipeline(cfg, 0, 2, 3)
    assert timing['samples'] == 6
    assert timing['samples_per_s'] > 0 and timing['first_batch_s'] > 0


def test_fp32_nchw_config_of_a_bf16_config(speed):
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs/mcfa/mcfa-recipe_vgg16-w025-128px_bf16_1xb32-'
        '8500i_celeba-extra-multisource.py'))
    fp32 = speed.fp32_nchw_config(cfg)
    assert fp32.optim_wrapper.type == 'OptimWrapper'
    assert 'dtype' not in fp32.optim_wrapper
    assert fp32.optim_wrapper.optimizer == cfg.optim_wrapper.optimizer
    assert fp32.model.channels_last is False
    # the config itself is left as it was
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.model.channels_last is True


def test_benchmark_speed_loop(speed, demo_data_root, monkeypatch):
    """Mode loop: Runner.train of the config itself, both arms, a few
    iterations (the demo config is epoch-based: the loop is made
    iteration-based)."""
    monkeypatch.setenv('MCFA_DEMO_ROOT', demo_data_root)
    config = 'configs/mcfa/mcfa_vgg16-w0125-64px_1xb16-36e_demo-faces.py'
    report = speed.main([
        '--models', config, '--modes', 'loop', '--loop-iters', '4',
        '--loop-warmup', '1', '--repeats', '2', '--batch-sizes', '1',
        '--cfg-options', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ])['models'][config]['loop']
    for arm in ('fp32_nchw', 'default'):
        runs = report[arm]['seconds_per_iter_runs']
        assert len(runs) == 2 and all(t > 0 for t in runs)
        assert report[arm]['seconds_per_iter'] == pytest.approx(
            sorted(runs)[0] / 2 + sorted(runs)[1] / 2, abs=1e-4)
    assert report['speedup'] == pytest.approx(
        report['fp32_nchw']['seconds_per_iter'] /
        report['default']['seconds_per_iter'], abs=2e-3)
