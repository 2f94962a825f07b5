"""face_collate: the batch pseudo_collate gives, images stacked, and
annotations that cross from loader workers inside the pickle."""
import io
from multiprocessing.reduction import ForkingPickler

import pytest
import torch
import torch.multiprocessing  # noqa: F401  (registers the tensor reducers)
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData
from torch.utils.data import DataLoader

from mcfa_mm.datasets import InlineInstanceData, face_collate
from mcfa_mm.testing import RandomFaceCrops, tiny_mcfa_config
from mmdet.registry import MODELS
from mmdet.structures.bbox import HorizontalBoxes

SIZE = 32


def _packed(length: int = 6) -> list:
    """Packed samples as the pipeline gives them: uint8 images, and box
    fields as mmdet's box type on some."""
    dataset = RandomFaceCrops(length, SIZE)
    items = []
    for index in range(length):
        item = dataset[index]
        item['inputs'] = item['inputs'].to(torch.uint8)
        gt = item['data_samples'].gt_instances
        if index % 2:
            gt.bboxes = HorizontalBoxes(gt.bboxes)
        gt.box_known = torch.ones(len(gt), dtype=torch.bool)
        items.append(item)
    return items


def _assert_same_instances(got: InstanceData, expected: InstanceData):
    assert set(got.keys()) == set(expected.keys())
    for key, value in expected.items():
        assert type(got[key]) is type(value), key
        if isinstance(value, HorizontalBoxes):
            got_value, value = got[key].tensor, value.tensor
        else:
            got_value = got[key]
        assert got_value.dtype == value.dtype, key
        assert torch.equal(got_value, value), key


def test_batch_is_pseudo_collates_with_images_stacked():
    items = _packed()
    expected = pseudo_collate(_packed())
    batch = face_collate(items)
    assert isinstance(batch['inputs'], torch.Tensor)
    assert torch.equal(batch['inputs'], torch.stack(expected['inputs']))
    for got, want in zip(batch['data_samples'], expected['data_samples']):
        assert isinstance(got.gt_instances, InlineInstanceData)
        assert got.metainfo == want.metainfo
        _assert_same_instances(got.gt_instances, want.gt_instances)
    # the data preprocessor takes the stacked images as it takes the list
    preprocessor = MODELS.build(tiny_mcfa_config(input_size=SIZE)
                                ['data_preprocessor'])
    torch.testing.assert_close(
        preprocessor(batch, True)['inputs'],
        preprocessor(expected, True)['inputs'], rtol=0, atol=0)


def test_instances_travel_inside_the_pickle():
    """Pickled for a worker's queue, plain instances send their tensors
    through shared memory (the pickle is a few handles); inline ones carry
    the values themselves and come back as the same tensors and boxes."""
    sample = face_collate(_packed(2))['data_samples'][1]
    inline = sample.gt_instances
    plain = InstanceData(metainfo=inline.metainfo, **dict(inline.items()))
    inline.attributes = torch.arange(4000).view(1, 4000)
    plain.attributes = inline.attributes.clone()

    def pickled(instances) -> bytes:
        buffer = io.BytesIO()
        ForkingPickler(buffer).dump(instances)
        return buffer.getvalue()

    assert len(pickled(inline)) > 4000 * 8 > len(pickled(plain))
    restored = ForkingPickler.loads(pickled(inline))
    assert isinstance(restored, InlineInstanceData)
    assert isinstance(restored.bboxes, HorizontalBoxes)
    _assert_same_instances(restored, inline)
    assert len(restored) == len(inline) == 1


def test_loader_workers_deliver_the_same_batches():
    items = _packed(8)
    loader = DataLoader(items, batch_size=4, num_workers=1,
                        collate_fn=face_collate)
    for index, batch in enumerate(loader):
        expected = pseudo_collate(items[4 * index:4 * index + 4])
        assert torch.equal(batch['inputs'], torch.stack(expected['inputs']))
        for got, want in zip(batch['data_samples'],
                             expected['data_samples']):
            _assert_same_instances(got.gt_instances, want.gt_instances)


def test_images_of_different_sizes_are_refused():
    items = _packed(2)
    items[1]['inputs'] = items[1]['inputs'][:, :-1]
    with pytest.raises(RuntimeError):
        face_collate(items)
