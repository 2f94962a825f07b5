"""Draw the demo face dataset (official CelebA formats) for the quick start.

Example:
    python tools/misc/make_demo_faces.py data/demo_faces --num-images 400
"""
import argparse
import json

from mcfa_mm.datasets import generate_demo_faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--num-images', type=int, default=400)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--image-size', type=int, nargs=2, default=[128, 128],
                        metavar=('W', 'H'))
    parser.add_argument('--background-ratio', type=float, default=0.15,
                        help='face-free images, as a fraction of the faces')
    args = parser.parse_args()
    info = generate_demo_faces(args.out_dir, args.num_images, args.seed,
                               tuple(args.image_size), args.background_ratio)
    print(json.dumps({k: info[k] for k in (
        'data_root', 'num_faces', 'num_backgrounds', 'split_sizes')}))


if __name__ == '__main__':
    main()
