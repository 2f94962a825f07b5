"""The attribute study of tools/analysis_tools on generated data.

The arms must differ only in what they claim to ablate, and ``main`` must
train and test every arm on the same budget and report JSON.
"""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmdet.registry import MODELS
from tests.conftest import repo_config

CPU_CONFIG = repo_config(
    'mcfa_study', 'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py')


@pytest.fixture(scope='module')
def study(load_tool):
    return load_tool('attribute_study')


@pytest.fixture(scope='module')
def summarize(load_tool):
    return load_tool('summarize_study')


def test_arms_change_only_what_they_ablate(study, data_env, tmp_path):
    base = Config.fromfile(CPU_CONFIG)
    args = study.parse_args(
        [CPU_CONFIG, '--iters', '7', '--work-dir',
         str(tmp_path)])
    expected_tasks = {
        'mcfa': {'face_cls', 'bbox', 'landmark', 'attribute'},
        'mcfa_fac': {'attribute'},
        'mcfa_fd_fac': {'face_cls', 'bbox', 'attribute'},
        'mcfa_fll_fac': {'landmark', 'attribute'},
    }
    for arm in study.ARMS:
        cfg = study.arm_config(base, arm, args, seed=3)
        assert cfg.train_cfg.max_iters == 7
        assert cfg.randomness.seed == 3
        assert cfg.train_dataloader.batch_size == args.batch_size
        model = MODELS.build(cfg.model)
        if arm in expected_tasks:
            assert set(model.head.tasks) == expected_tasks[arm]
        modes = {loss.mode for loss in model.head.attr_losses}
        assert modes == {dict(paper='paper', equal='equal',
                              loss_driven='loss_driven',
                              l_net_alone='equal').get(arm, 'adversarial')}
    alone = MODELS.build(study.arm_config(base, 'l_net_alone', args, 0).model)
    assert alone.neck.use_cascade is False
    assert alone.head.stage_loss_weights == (0.0, 0.0, 1.0)


def test_main_trains_and_tests_every_arm(study, data_env, tmp_path):
    out = tmp_path / 'results.json'
    results = study.main([
        CPU_CONFIG, '--arms', 'mcfa_fac', 'l_net_alone', '--iters', '2',
        '--batch-size', '2', '--max-eval', '2', '--work-dir',
        str(tmp_path), '--out',
        str(out), '--cfg-options', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ])
    assert out.exists()
    assert results['cfg_options']['train_dataloader.num_workers'] == 0
    assert results['max_eval'] == 2
    assert set(results['arms']) == {'mcfa_fac', 'l_net_alone'}
    for arm in results['arms'].values():
        metrics = arm['seed0']['metrics']
        assert metrics['celeba']['attr/num_samples'] == 2
        assert 0 <= metrics['lfwa']['attr/mean_accuracy'] <= 100
        assert metrics['wild']['landmark/num_faces'] == 2
        assert osp.exists(osp.join(arm['seed0']['work_dir'], 'iter_2.pth'))
        # the CPU config puts each attribute on par with the other tasks
        assert arm['seed0']['loss_attr']['scale_by_num_attributes'] is True
    floor = results['majority_floor']['celeba']
    assert floor['num_images'] == 2  # the arms' test images
    celeba = results['arms']['mcfa_fac']['seed0']['metrics']['celeba']
    assert set(floor['per_attribute']) == {
        key[len('attr/acc/'):] for key in celeba if key.startswith('attr/acc/')
    }


def _run(arm: str, seed: int, celeba: float, iters: int = 300) -> dict:
    metrics = {
        'celeba': {'attr/mean_accuracy': celeba,
                   'attr/balanced_accuracy': 50.0, 'attr/acc/Bangs': celeba},
        'lfwa': {'attr/mean_accuracy': 70.0, 'attr/balanced_accuracy': 51.0,
                 'attr/acc/Bangs': 75.0, 'landmark/nme': 12.0},
        'wild': {'landmark/nme': 13.0},
    }
    floor = {'mean_accuracy': 79.0, 'balanced_accuracy': 50.0,
             'per_attribute': {'Bangs': 85.0}}
    return dict(iters=iters, batch_size=32, max_eval=500, seeds=[seed],
                majority_floor=dict(celeba=floor, lfwa=floor),
                arms={arm: {f'seed{seed}': dict(train_seconds=600.0,
                                                metrics=metrics)}})


def test_summarize_merges_seeds_and_arms(summarize):
    merged = summarize.merge_results(
        [_run('mcfa', 0, 80.0), _run('mcfa', 1, 82.0), _run('equal', 0, 79)])
    assert merged['seeds'] == [0, 1]
    assert set(merged['arms']['mcfa']) == {'seed0', 'seed1'}
    summary = summarize.summarize(merged)
    cell = summary['mcfa']['CelebA mean acc']
    assert cell == dict(mean=81.0, per_seed=[80.0, 82.0])
    assert summary['mcfa']['train_minutes'] == 10.0
    assert summary['majority_floor']['CelebA mean acc']['mean'] == 79.0
    table = summarize.markdown_table(summary).splitlines()
    assert table[0].startswith('| arm | seeds | CelebA mean acc')
    assert '| `mcfa` | 0, 1 | 81.00 (80.00 / 82.00) |' in table[2]
    assert table[-1].startswith('| `majority_floor` | - | 79.00')
    summary = summarize.summarize(merged, attributes=['Bangs'])
    assert summary['mcfa']['CelebA Bangs']['mean'] == 81.0
    assert summary['majority_floor']['LFWA Bangs']['mean'] == 85.0
    table = summarize.markdown_table(summary).splitlines()
    assert table[0].endswith('| CelebA Bangs | LFWA Bangs | train min |')


@pytest.mark.parametrize('second, message', [
    (_run('equal', 0, 79.0, iters=100), 'different iters'),
    (_run('mcfa', 0, 81.0), 'mcfa seed0 appears in two runs'),
])
def test_summarize_refuses_runs_that_do_not_compare(summarize, second,
                                                    message):
    with pytest.raises(ValueError, match=message):
        summarize.merge_results([_run('mcfa', 0, 80.0), second])


def test_summarize_main_writes_merged_json(summarize, tmp_path):
    paths = []
    for seed in (0, 1):
        path = tmp_path / f'run{seed}.json'
        path.write_text(json.dumps(_run('mcfa', seed, 80.0 + seed)))
        paths.append(str(path))
    out = tmp_path / 'merged.json'
    summary = summarize.main(paths + ['--out', str(out), '--markdown'])
    assert json.loads(out.read_text())['seeds'] == [0, 1]
    assert summary['mcfa']['CelebA mean acc']['mean'] == 80.5


def test_plot_study_draws_the_chosen_arms(load_tool, tmp_path):
    plot_study = load_tool('summarize_study')
    names = ['Smiling', 'Male', 'Bangs']
    arms = {}
    for arm, moving in (('mcfa', True), ('equal', False), ('paper', True)):
        work_dir = tmp_path / arm
        (work_dir / 'run' / 'vis_data').mkdir(parents=True)
        with open(work_dir / 'run' / 'vis_data' / 'scalars.json', 'w') as f:
            for it in (25, 50):
                weights = [0.5, 0.3, 0.2] if moving and it == 50 else \
                    [1 / 3] * 3
                record = dict(step=it, loss=1.0)
                record.update({f'dyn_weight/l/{n}': w
                               for n, w in zip(names, weights)})
                f.write(json.dumps(record) + '\n')
        acc = {f'attr/acc/{n}': 70.0 for n in names}
        arms[arm] = {'seed0': dict(work_dir=str(work_dir),
                                   metrics=dict(celeba=acc))}
    floor = dict(per_attribute=dict.fromkeys(names, 60.0))
    results = tmp_path / 'results.json'
    results.write_text(json.dumps(
        dict(arms=arms, majority_floor=dict(celeba=floor))))
    out_dir = tmp_path / 'plots'
    report = plot_study.plot_results(plot_study.select_arms(
        json.loads(results.read_text()), ['mcfa', 'equal']), str(out_dir))
    # fixed equal weights do not move: only mcfa gets a weight panel
    assert report['weight_arms'] == ['mcfa']
    assert all(osp.getsize(path) > 0 for path in report['files'])
    report = plot_study.plot_results(plot_study.select_arms(
        json.loads(results.read_text()), ['equal']), str(out_dir))
    assert report['weight_arms'] == [] and len(report['files']) == 1
    with pytest.raises(ValueError, match='not in'):
        plot_study.select_arms(json.loads(results.read_text()),
                               ['l_net_alone'])


def _write_layout(root, partition_rows, attr_rows):
    """A CelebA layout of attribute and partition files only, each in its
    own row order."""
    (root / 'Anno').mkdir(parents=True)
    (root / 'Eval').mkdir()
    (root / 'Eval' / 'list_eval_partition.txt').write_text(''.join(
        f'{img} {part}\n' for img, part in partition_rows))
    lines = [str(len(attr_rows)), 'A B'] + [
        f'{img} {a:2d} {b:2d}' for img, (a, b) in attr_rows
    ]
    (root / 'Anno' / 'list_attr_celeba.txt').write_text('\n'.join(lines) +
                                                        '\n')


@pytest.mark.parametrize('max_eval, mean, balanced', [
    (2, 100.0, 100.0),
    (None, 200 / 3, 50.0),
])
def test_majority_floor_scores_the_arms_test_images(study, tmp_path, max_eval,
                                                    mean, balanced):
    """The floor scores the first ``max_eval`` test images in the dataset's
    (partition file) order, not the attribute file's, and computes the
    balanced accuracy: 100 where the scored images hold one value only."""
    # majority train values: A present, B absent
    train = [('t1.jpg', (1, -1)), ('t2.jpg', (1, -1)), ('t3.jpg', (-1, -1))]
    test = [('x1.jpg', (1, -1)), ('x2.jpg', (1, -1)), ('x3.jpg', (-1, 1))]
    _write_layout(tmp_path, [(img, 0) for img, _ in train] +
                  [(img, 2) for img, _ in test],
                  list(reversed(train + test)))
    floor = study.majority_floor(
        dict(type='CelebADataset', data_root=str(tmp_path), split='test',
             test_mode=True, check_images=False), max_eval)
    assert floor['num_images'] == (max_eval or 3)
    assert floor['mean_accuracy'] == pytest.approx(mean)
    assert floor['balanced_accuracy'] == pytest.approx(balanced)
    assert floor['per_attribute']['A'] == pytest.approx(round(mean, 2))
