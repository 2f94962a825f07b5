"""A corrupt image fails loudly, naming the file."""
import glob
import shutil

import pytest

from mmdet.registry import DATASETS


def test_corrupt_image_names_the_file(demo_data_root, tmp_path):
    root = str(tmp_path / 'demo')
    shutil.copytree(demo_data_root, root)
    victim = sorted(glob.glob(f'{root}/Img/img_celeba/*.jpg'))[0]
    with open(victim, 'wb') as f:
        f.write(b'not a jpeg at all')
    dataset = DATASETS.build(
        dict(type='CelebADataset', data_root=root,
             data_prefix=dict(img='Img/img_celeba/'), split='all',
             pipeline=[dict(type='LoadImageFromFile'),
                       dict(type='LoadFaceAnnotations')]))
    index = [i for i in range(len(dataset))
             if dataset.get_data_info(i)['img_path'] == victim][0]
    with pytest.raises(Exception, match=victim.split('/')[-1]):
        dataset[index]
