#!/usr/bin/env bash
# Launches one process per GPU with torchrun (torch.distributed.run).
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py arguments]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# PYTHON picks the interpreter (e.g. .venv/bin/python).

CONFIG=$1
CHECKPOINT=$2
GPUS=$3

exec bash "$(dirname "$0")/dist_launch.sh" test.py "$GPUS" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch \
    "${@:4}"
