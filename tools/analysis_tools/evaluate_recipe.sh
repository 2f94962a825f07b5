#!/usr/bin/env bash
# Every number of the recipe's model in docs/study_log.md, in the order the
# rules ask: choices on validation first, then each test split once.
#
#   bash tools/analysis_tools/evaluate_recipe.sh CHECKPOINT [OUT_DIR]
#
# Writes each run's metrics JSON under OUT_DIR (default docs/bench/recipe)
# and the attribute thresholds fitted on CelebA val beside the checkpoint.
# CONFIG is the model's training config (the round-6 default model's by
# default) and TESTS the prefix of its test configs, TESTS_{crop,cascade}_
# {lfwa,wild}.py, each derived from CONFIG (configs/mcfa/README.md).
# A study arm (docs/study_log.md) sets STUDY=1 (no LFWA cascade, no zoo
# check), CONFIG=its training config, TESTS= the shipped model family it
# varies, and MODEL_OPTIONS= the cfg-options that turn those test configs'
# model into the arm's (e.g. model.head.task_weighting.type=
# UncertaintyTaskWeighting); ATTRIBUTES_ONLY=1 for a model without the face
# / box / landmark tasks (attribute numbers only), NO_CASCADE=1 to stop
# before the whole-photo cascade; FLIP=0 no flip test.
# PRECISION=fp32|bf16 overrides the config's inference precision.
# SPLITS=val runs the validation splits only (CelebA val, carved LFWA and
# wild val, crop and cascade), to choose settings before any test split.
set -euo pipefail
cd "$(dirname "$0")/../.."
CKPT=$1
OUT=${2:-docs/bench/recipe}
PY=${PY:-.venv/bin/python}
RECIPE=${CONFIG:-configs/mcfa/mcfa-recipe_vgg16-w025-128px_bf16_1xb32-8500i_celeba-extra-multisource.py}
TESTS=${TESTS:-configs/mcfa/mcfa-recipe_vgg16-w025-128px_bf16}
THRESHOLDS=${THRESHOLDS:-${CKPT%.pth}_attribute_thresholds.json}
mkdir -p "$OUT"
read -ra MODEL_OPTIONS <<< "${MODEL_OPTIONS:-}"
if [[ ${ATTRIBUTES_ONLY:-0} == 1 ]]; then
    MODEL_OPTIONS=('model.head.tasks=[attribute]')
fi

FLIP_OPTION=model.test_cfg.flip=$([[ ${FLIP:-1} == 1 ]] && echo True || echo False)
PRECISION_OPTIONS=(${PRECISION:+model.test_cfg.precision=$PRECISION})
run() {  # name config [cfg-options...]: test, keep the metrics JSON
    local name=$1 config=$2; shift 2
    set -- "$@" "$FLIP_OPTION" ${PRECISION_OPTIONS[@]+"${PRECISION_OPTIONS[@]}"}
    local work=work_dirs/eval/$(basename "$OUT")/$name
    rm -rf "$work"; mkdir -p "$(dirname "$work")"
    "$PY" tools/test.py "$config" "$CKPT" --work-dir "$work" \
        ${@:+--cfg-options "$@"} > "$work.log" 2>&1 || {
        tail -20 "$work.log"; exit 1; }
    cp "$(ls "$work"/*/*.json | tail -1)" "$OUT/$name.json"
    echo "$name: $(cat "$OUT/$name.json")"
}

CARVED_VAL=(test_dataloader.dataset.split=val test_dataloader.dataset.val_fraction=0.1)
if [[ ${SPLITS:-test} == val ]]; then
    run celeba_val "$RECIPE" test_dataloader.dataset.split=val
    run lfwa_val "${TESTS}_crop_lfwa.py" "${CARVED_VAL[@]}" "${MODEL_OPTIONS[@]}"
    [[ ${ATTRIBUTES_ONLY:-0} == 1 ]] && exit 0
    run wild_crop_val "${TESTS}_crop_wild.py" "${CARVED_VAL[@]}" "${MODEL_OPTIONS[@]}"
    run wild_cascade_val "${TESTS}_cascade_wild.py" "${CARVED_VAL[@]}" \
        "${MODEL_OPTIONS[@]}"
    exit 0
fi

# validation: fit per-attribute thresholds on CelebA val
run celeba_val "$RECIPE" test_dataloader.dataset.split=val \
    test_evaluator.fit_thresholds_to="$THRESHOLDS"
# test splits, once each
run celeba_test "$RECIPE" test_evaluator.thresholds="$THRESHOLDS"
run lfwa_test "${TESTS}_crop_lfwa.py" "${MODEL_OPTIONS[@]}"
[[ ${ATTRIBUTES_ONLY:-0} == 1 ]] && exit 0
run wild_crop_test "${TESTS}_crop_wild.py" "${MODEL_OPTIONS[@]}"
[[ ${NO_CASCADE:-0} == 1 ]] && exit 0
run wild_cascade_test "${TESTS}_cascade_wild.py" "${MODEL_OPTIONS[@]}"
[[ ${STUDY:-0} == 1 ]] && exit 0
run lfwa_cascade_test "${TESTS}_cascade_lfwa.py" "${MODEL_OPTIONS[@]}"
# --out, not stdout: mmengine logs to stdout while the datasets build
"$PY" tools/analysis_tools/zoo_regression.py "$RECIPE" "$CKPT" --out "$OUT/zoo_regression.json"
