# make eval: every suite side by side (eval/README.md): home dev + holdout, outside news,
# SQuAD 2.0 tuning + held-out halves (300 questions each, seed 1), HTML extraction; writes
# eval/reports/<YYYY-MM-DD>/suites.{md,png,json} (git-ignored; nothing committed changes),
# and fails when a figure is under its floor in eval/thresholds.toml.
#   make eval EVAL_ARGS="--squad-full"          all 2,805 SQuAD questions (slow on 2 cores)
#   make eval EVAL_ARGS="--corpus news,html"    some suites only
#   make eval-home EVAL_ARGS="--mode extractive,llm"  the home set's detailed report
#   make eval-home EVAL_ARGS="--url http://127.0.0.1:8000"  ... against a running service
#   make eval-report  publish the newest dated report as the committed summary
#                     (eval/reports/suites.md, suites.png, latest.md);
#                     REPORT_DIR=eval/reports/2026-12-07 publishes that day's instead
#   make fit-scorer   refit the extractive sentence scorer and its claim rule on the tuning
#                     splits (service/answering/weights/sentence_scorer.json); add
#                     FIT_ARGS=--recompute after changing a feature or the retrieval
.PHONY: eval eval-home eval-report fit-scorer
eval: install
	$(BIN)/python -m eval suites $(EVAL_ARGS)

eval-home: install
	$(BIN)/python -m eval run $(EVAL_ARGS)

eval-report: install
	$(BIN)/python -m eval report $(REPORT_DIR)

fit-scorer: install
	$(BIN)/python -m eval fit-scorer $(FIT_ARGS)

# make train-reader: fine-tune the sentence reader (a MiniLM cross-encoder) on SQuAD 2.0
# dev part C, export int8 ONNX and its manifest to models/reader (eval/train_reader.py);
# READER_ARGS="--max-minutes 20 --epochs 1" and the like pass through.
.PHONY: train-reader
train-reader: install
	$(BIN)/python -m eval train-reader $(READER_ARGS)
