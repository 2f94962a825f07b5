#!/usr/bin/env bash
# Launches one process per GPU with torchrun (torch.distributed.run).
# Usage: tools/dist_train.sh CONFIG GPUS [train.py arguments]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# PYTHON picks the interpreter (e.g. .venv/bin/python); without CUDA, GPUS
# is the number of CPU processes (gloo backend).

CONFIG=$1
GPUS=$2

exec bash "$(dirname "$0")/dist_launch.sh" train.py "$GPUS" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
