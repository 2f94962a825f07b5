"""Parsers of the official CelebA annotation formats."""
import os.path as osp

import numpy as np
import pytest

from mcfa_mm.datasets.annotation_files import (AnnotationError,
                                               check_same_ids,
                                               parse_attr_file,
                                               parse_bbox_file,
                                               parse_identity_file,
                                               parse_landmark_file,
                                               parse_partition_file,
                                               read_attr_names)

# Exactly as in ../shared/data: LF, single spaces, values right-aligned to
# width 2.
ATTR = ('3\n'
        'Bangs Male Smiling\n'
        '000001.jpg  1 -1 -1\n'
        '000002.jpg -1  1  1\n'
        'A_B/A_B_0001.jpg -1 -1  1\n')
BBOX = ('2\n'
        'image_id x_1 y_1 width height\n'
        '000001.jpg 95 71 226 313\n'
        '000002.jpg 72 94 221 306\n')
LANDMARKS = ('2\n'
             'lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y '
             'leftmouth_x leftmouth_y rightmouth_x rightmouth_y\n'
             '000001.jpg 69 109 106 113 77 142 73 152 108 154\n'
             '000002.jpg 69 110 107 112 81 135 70 151 108 153\n')
PARTITION = '000001.jpg 0\n000002.jpg 2\n'
IDENTITY = '000001.jpg 2880\n000002.jpg 2937\n'


def write(tmp_path, name: str, text: str) -> str:
    path = osp.join(str(tmp_path), name)
    with open(path, 'w', newline='') as f:
        f.write(text)
    return path


def test_parse_official_formats(tmp_path):
    names, attrs = parse_attr_file(write(tmp_path, 'attr.txt', ATTR))
    assert names == ['Bangs', 'Male', 'Smiling']
    assert list(attrs) == ['000001.jpg', '000002.jpg', 'A_B/A_B_0001.jpg']
    np.testing.assert_array_equal(attrs['000002.jpg'], [-1, 1, 1])

    boxes = parse_bbox_file(write(tmp_path, 'bbox.txt', BBOX))
    np.testing.assert_array_equal(boxes['000001.jpg'], [95, 71, 226, 313])

    points = parse_landmark_file(write(tmp_path, 'lm.txt', LANDMARKS))
    assert points['000001.jpg'].shape == (5, 2)
    np.testing.assert_array_equal(points['000002.jpg'][2], [81, 135])

    assert parse_partition_file(write(tmp_path, 'p.txt', PARTITION)) == {
        '000001.jpg': 0, '000002.jpg': 2}
    assert parse_identity_file(write(tmp_path, 'i.txt', IDENTITY)) == {
        '000001.jpg': 2880, '000002.jpg': 2937}
    assert read_attr_names(osp.join(str(tmp_path), 'attr.txt')) == names


def test_parse_original_celeba_quirks(tmp_path):
    # CelebA's own files: CRLF, trailing space after the names, padded
    # numbers, and a final empty line.
    attr = ATTR.replace('Smiling\n', 'Smiling \n').replace('\n', '\r\n')
    names, attrs = parse_attr_file(write(tmp_path, 'attr.txt', attr + '\r\n'))
    assert names == ['Bangs', 'Male', 'Smiling'] and len(attrs) == 3
    bbox = BBOX.replace('95 71', '95    71  ')
    boxes = parse_bbox_file(write(tmp_path, 'bbox.txt', bbox))
    np.testing.assert_array_equal(boxes['000001.jpg'], [95, 71, 226, 313])


@pytest.mark.parametrize(
    'parser, text, line, words',
    [
        # wrong number of columns
        (parse_attr_file, ATTR.replace('-1  1  1', '-1  1'), 4, 'columns'),
        (parse_bbox_file, BBOX.replace(' 313', ''), 3, 'columns'),
        (parse_partition_file, '000001.jpg 0 1\n', 1, 'columns'),
        # a value that is not an integer
        (parse_landmark_file, LANDMARKS.replace(' 77 ', ' 7.5 '), 3,
         "'7.5'"),
        (parse_identity_file, '000001.jpg x\n', 1, "'x'"),
        # an attribute value other than 1 / -1
        (parse_attr_file, ATTR.replace('-1 -1  1', '-1  0  1'), 5,
         '1 or -1'),
        (parse_partition_file, '000001.jpg 3\n', 1, '0, 1 or 2'),
        # count on line 1 does not match the rows
        (parse_attr_file, '4' + ATTR[1:], 1, 'says 4 rows'),
        (parse_bbox_file, 'two' + BBOX[1:], 1, "'two'"),
        # duplicate ids
        (parse_identity_file, IDENTITY + '000001.jpg 1\n', 3, 'duplicate'),
        # a header with the wrong number of names
        (parse_bbox_file, BBOX.replace(' height', ''), 2, 'header'),
        (parse_landmark_file, LANDMARKS.replace('nose_x nose_y ', ''), 2,
         'header'),
        (parse_attr_file, ATTR.replace('Male', 'Bangs'), 2, 'duplicate'),
        (parse_bbox_file, BBOX.replace('226', '0'), 3,
         'positive'),
    ])
def test_bad_input_names_file_and_line(tmp_path, parser, text, line, words):
    path = write(tmp_path, 'anno.txt', text)
    with pytest.raises(AnnotationError) as info:
        parser(path)
    msg = str(info.value)
    assert msg.startswith(f'{path}, line {line}:'), msg
    assert words in msg
    assert info.value.path == path and info.value.line == line


def test_skip_invalid_drops_bad_rows(tmp_path):
    text = '4' + ATTR[1:].replace('-1 -1  1', '-1  0  1') + '000009.jpg 1\n'
    path = write(tmp_path, 'attr.txt', text)
    skipped = []
    _, attrs = parse_attr_file(path, skip_invalid=True, skipped=skipped)
    assert list(attrs) == ['000001.jpg', '000002.jpg']
    # one bad value, one short row; the count (4) then matches
    assert len(skipped) == 2
    assert 'line 5' in skipped[0] and 'line 6' in skipped[1]


def test_check_same_ids(tmp_path):
    with pytest.raises(AnnotationError) as info:
        check_same_ids(['a.jpg', 'b.jpg', 'c.jpg'], 'part.txt', {'a.jpg'},
                       'attr.txt')
    msg = str(info.value)
    assert 'part.txt' in msg and 'attr.txt' in msg and "'b.jpg'" in msg
    assert '1 more' in msg
    skipped = []
    missing = check_same_ids(['a.jpg', 'b.jpg'], 'part.txt', {'a.jpg'},
                             'attr.txt', skip_invalid=True, skipped=skipped)
    assert missing == ['b.jpg'] and len(skipped) == 1


def test_writer_round_trips_through_the_parsers(tmp_path):
    from mcfa_mm.datasets.annotation_files import (BBOX_HEADER,
                                                   LANDMARK_HEADER,
                                                   write_annotation_file)
    attr = str(tmp_path / 'Anno' / 'list_attr_celeba.txt')
    write_annotation_file(attr, {'1.jpg': [1, -1], '2.jpg': [-1, 1]},
                          ('Smiling', 'Male'), width=2)
    with open(attr) as file:
        assert file.read() == '2\nSmiling Male\n1.jpg  1 -1\n2.jpg -1  1\n'
    names, rows = parse_attr_file(attr)
    assert names == ['Smiling', 'Male']
    assert rows['2.jpg'].tolist() == [-1, 1]
    points = str(tmp_path / 'points.txt')
    write_annotation_file(points, {'1.jpg': range(10)}, LANDMARK_HEADER)
    assert parse_landmark_file(points)['1.jpg'].ravel().tolist() == list(
        range(10))
    boxes = str(tmp_path / 'boxes.txt')
    write_annotation_file(boxes, {'1.jpg': (1, 2, 3, 4)}, BBOX_HEADER)
    assert parse_bbox_file(boxes)['1.jpg'].tolist() == [1, 2, 3, 4]
    partition = str(tmp_path / 'partition.txt')
    write_annotation_file(partition, {'1.jpg': [2]})
    assert parse_partition_file(partition) == {'1.jpg': 2}
