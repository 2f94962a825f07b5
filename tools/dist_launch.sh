#!/usr/bin/env bash
# Runs a tools/ script in one process per GPU with torchrun
# (torch.distributed.run); tools/dist_train.sh and dist_test.sh call it.
# Usage: tools/dist_launch.sh SCRIPT GPUS [script arguments]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# PYTHON picks the interpreter (e.g. .venv/bin/python); without CUDA, GPUS
# is the number of CPU processes (gloo backend).

SCRIPT=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/$SCRIPT" \
    "${@:3}"
