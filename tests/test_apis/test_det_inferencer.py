"""MMDetection's own DetInferencer on our configs and checkpoint, unchanged.

DetInferencer finds the test pipeline's loader by the type name
'LoadImageFromFile' and swaps in its InferencerLoader; our test pipelines
name LoadFaceImageFromFile that way in the mcfa_mm scope
(mcfa_mm/registry.py), so the inferencer runs them as they ship and still
reads photos with our loader.
"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mcfa_mm.apis import get_config_file, get_model
from mcfa_mm.datasets.transforms import LoadFaceImageFromFile
from mcfa_mm.utils import FaceImageError

CASCADE_CONFIG = 'mcfa/mcfa-recipe_vgg16-w025-128px_bf16_cascade_wild.py'


def test_test_pipelines_name_the_loader_as_det_inferencer_expects():
    loader = Config.fromfile(
        get_config_file(CASCADE_CONFIG)).test_dataloader.dataset.pipeline[0]
    assert loader.type == 'LoadImageFromFile'
    assert loader._scope_ == 'mcfa_mm'
    from mmengine.registry import TRANSFORMS
    assert isinstance(TRANSFORMS.build(dict(loader)), LoadFaceImageFromFile)


@pytest.mark.shared_data
def test_det_inferencer_finds_a_face_on_a_real_photo(shared_data_root,
                                                     monkeypatch, tmp_path):
    from mmdet.apis import DetInferencer

    # DetInferencer builds the config's test dataset for its palette: point
    # its root at the real data wherever the test runs from
    monkeypatch.setenv('MCFA_WILD_ROOT', osp.join(shared_data_root, 'wild'))
    _, weights = get_model()
    inferencer = DetInferencer(
        model=get_config_file(CASCADE_CONFIG),
        weights=weights,
        device='cpu',
        show_progress=False)
    # the photo is read by our loader, which names a bad file
    assert isinstance(inferencer.pipeline.transforms[0].from_file,
                      LoadFaceImageFromFile)
    photo = sorted(
        glob.glob(
            osp.join(shared_data_root, 'wild', 'Img', 'img_wild', '*.jpg')))[0]
    prediction = inferencer(photo)['predictions'][0]
    assert len(prediction['bboxes']) >= 1
    assert max(prediction['scores']) > 0.9
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'no photo')
    with pytest.raises(FaceImageError, match='bad.jpg'):
        inferencer(str(bad))
