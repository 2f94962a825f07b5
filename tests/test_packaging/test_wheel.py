"""The wheel stands alone: built from the sources, installed with
``--no-deps`` into a temporary folder next to this environment's
dependencies, and used from a folder outside the checkout.

Also ``mim train`` / ``mim test`` on the installed package, when openmim is
importable (or ``$MCFA_MIM_PATH`` names a folder that holds it):
``pip install openmim`` pins setuptools 60 and requests 2.28, so it is not
part of the test environment.
"""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO_ROOT, SHARED_DATA

#: What the wheel is built from (the rest of the checkout is not needed).
SOURCES = ('setup.py', 'MANIFEST.in', 'README.md', 'requirements', 'mcfa_mm',
           'configs', 'tools', 'checkpoints', 'model-index.yml')
PHOTO = osp.join(SHARED_DATA, 'wild', 'Img', 'img_wild', '0_0_0.jpg')

pytestmark = pytest.mark.slow

# run in the installed package, from a folder outside the checkout
CHECKS = r'''
import glob, json, os.path as osp, sys
import mcfa_mm
from mmengine.config import Config
from mcfa_mm.apis import get_config_file, init_face_model
from mcfa_mm.apis.model_zoo import RESOURCES_ROOT
report = dict(package=mcfa_mm.__file__, resources=RESOURCES_ROOT)
model = init_face_model()
report['mode'] = model.test_cfg['mode']
report['attribute_names'] = len(model.dataset_meta['attribute_names'])
configs = sorted(c for c in glob.glob(
    osp.join(RESOURCES_ROOT, 'configs', '*', '*.py')) if '_base_' not in c)
report['configs'] = [
    Config.fromfile(get_config_file(osp.relpath(c, osp.join(
        RESOURCES_ROOT, 'configs')))).model.type for c in configs]
if len(sys.argv) > 1:
    from mmdet.apis import DetInferencer
    from mcfa_mm.apis import get_model
    inferencer = DetInferencer(
        get_config_file('mcfa/mcfa-recipe_vgg16-w025-128px_cascade_wild.py'),
        get_model()[1], device='cpu', show_progress=False)
    report['det_scores'] = inferencer(sys.argv[1])['predictions'][0]['scores']
print('REPORT ' + json.dumps(report))
'''


def _run(cmd, cwd, env, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    return result


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """Build the wheel from a copy of the sources and install it into a
    target folder; return the paths and the environment that uses it."""
    root = tmp_path_factory.mktemp('wheel')
    src = root / 'src'
    src.mkdir()
    # a copy: the build writes mcfa_mm/.mim, build/ and *.egg-info beside
    # the sources, which must not touch the checkout
    skip = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for name in SOURCES:
        source = osp.join(REPO_ROOT, name)
        if osp.isdir(source):
            shutil.copytree(source, src / name, ignore=skip)
        else:
            shutil.copy(source, src / name)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONDONTWRITEBYTECODE='1')
    env.pop('PYTHONPATH', None)
    pip = [sys.executable, '-m', 'pip']
    _run(
        pip + [
            'wheel', '--no-deps', '--no-build-isolation', '-q', '-w',
            str(root / 'dist'),
            str(src)
        ],
        cwd=str(root),
        env=env)
    (wheel, ) = glob.glob(str(root / 'dist' / '*.whl'))
    site = root / 'site'
    _run(
        pip + [
            'install', '--no-deps', '--no-compile', '-q', '--target',
            str(site), wheel
        ],
        cwd=str(root),
        env=env)
    # the wheel first on the path, the test environment's packages after
    # (an editable mcfa_mm there resolves through an import hook that
    # PYTHONPATH comes before)
    env['PYTHONPATH'] = str(site)
    run_dir = root / 'run'
    run_dir.mkdir()
    return dict(wheel=wheel, site=str(site), env=env, run_dir=str(run_dir))


def test_wheel_carries_configs_tools_and_the_model(installed):
    with zipfile.ZipFile(installed['wheel']) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(
            next(n for n in names if n.endswith('entry_points.txt'))).decode()
    mim = 'mcfa_mm/.mim/'
    for config in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True):
        assert mim + osp.relpath(config, REPO_ROOT) in names
    for path in ('configs/mcfa/metafile.yml', 'model-index.yml',
                 'tools/train.py', 'tools/test.py',
                 'tools/demo/image_demo.py'):
        assert mim + path in names, path
    for weights in glob.glob(osp.join(REPO_ROOT, 'checkpoints', '*.pth')):
        name = osp.basename(weights)
        assert f'{mim}checkpoints/{name}' in names
        thresholds = name[:-len('.pth')] + '_attribute_thresholds.json'
        if osp.isfile(osp.join(REPO_ROOT, 'checkpoints', thresholds)):
            assert f'{mim}checkpoints/{thresholds}' in names
    # the training logs stay in the repository; no caches
    assert not any(n.endswith(('.log', '.log.json', '.pyc')) for n in names)
    assert 'mcfa-faces = mcfa_mm.apis.face_cli:console_main' in entry_points


def test_installed_package_works_from_any_directory(installed):
    args = [PHOTO] if osp.isfile(PHOTO) else []
    env = dict(installed['env'])
    if args:
        # DetInferencer builds the config's test dataset for its palette
        env['MCFA_WILD_ROOT'] = osp.join(SHARED_DATA, 'wild')
    result = _run(
        [sys.executable, '-c', CHECKS] + args,
        cwd=installed['run_dir'],
        env=env)
    line = next(line for line in result.stdout.splitlines()
                if line.startswith('REPORT '))
    report = json.loads(line[len('REPORT '):])
    assert report['package'].startswith(installed['site'])
    assert report['resources'] == osp.join(installed['site'], 'mcfa_mm',
                                           '.mim')
    assert report['mode'] == 'cascade' and report['attribute_names'] == 40
    num_configs = len([
        c for c in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py'))
        if '_base_' not in c
    ])
    assert len(report['configs']) == num_configs > 20
    if args:
        assert max(report['det_scores']) > 0.9


def test_console_command_on_a_real_photo(installed):
    if not osp.isfile(PHOTO):
        pytest.skip(f'real photo not found at {PHOTO} (set MCFA_SHARED_DATA '
                    'to run this test)')
    command = osp.join(installed['site'], 'bin', 'mcfa-faces')
    result = _run([command, PHOTO],
                  cwd=installed['run_dir'],
                  env=installed['env'])
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith('1 images, ') and ' 0 failed' in summary
    assert int(summary.split()[2]) >= 1  # faces found
    run_dir = installed['run_dir']
    assert osp.isfile(osp.join(run_dir, 'outputs', 'vis', '0_0_0.jpg'))
    with open(osp.join(run_dir, 'outputs', 'faces.jsonl')) as file:
        (record, ) = [json.loads(line) for line in file]
    assert len(record['faces'][0]['attribute_decisions']) == 40


def _mim_path() -> str:
    """A PYTHONPATH entry where openmim is importable, or skip."""
    extra = os.environ.get('MCFA_MIM_PATH', '')
    if extra and osp.isdir(osp.join(extra, 'mim')):
        return extra
    try:
        import mim  # noqa: F401
    except ImportError:
        pytest.skip('openmim is not installed: `pip install openmim` pins '
                    'setuptools 60 / requests 2.28 over this environment, '
                    'so it is not a test dependency; set MCFA_MIM_PATH to a '
                    'folder holding it (pip install --no-deps --target DIR '
                    'openmim model-index click colorama tabulate '
                    'ordered-set requests urllib3 idna charset-normalizer '
                    'certifi pandas)')
    return ''


def test_mim_train_and_test(installed):
    """``mim train mcfa_mm CONFIG`` / ``mim test`` find the config and the
    tools inside the installed package (1 epoch of the demo config)."""
    extra = _mim_path()
    env = dict(installed['env'])
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (installed['site'], extra) if p)
    run_dir = installed['run_dir']
    demo_root = osp.join(run_dir, 'demo_faces')
    env['MCFA_DEMO_ROOT'] = demo_root
    tools = osp.join(installed['site'], 'mcfa_mm', '.mim', 'tools')
    _run([
        sys.executable,
        osp.join(tools, 'misc', 'make_demo_faces.py'), demo_root,
        '--num-images', '48'
    ],
         cwd=run_dir,
         env=env)
    config = 'mcfa_vgg16-w0125-64px_1xb16-36e_demo-faces.py'
    work_dir = osp.join(run_dir, 'mim_work')
    _run([
        sys.executable, '-m', 'mim', 'train', 'mcfa_mm', config, '--work-dir',
        work_dir, '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1'
    ],
         cwd=run_dir,
         env=env,
         timeout=600)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    result = _run([
        sys.executable, '-m', 'mim', 'test', 'mcfa_mm', config, '--checkpoint',
        checkpoint, '--work-dir', work_dir
    ],
                  cwd=run_dir,
                  env=env,
                  timeout=600)
    assert 'attr/mean_accuracy' in result.stdout + result.stderr
