# make eval: run the evaluation set (eval/README.md) and write eval/reports/<timestamp>/.
#   make eval                                   extractive mode, in-process, with baselines
#   make eval EVAL_ARGS="--mode extractive,llm"  both answer modes
#   make eval EVAL_ARGS="--url http://127.0.0.1:8000"  against a running service
.PHONY: eval
eval: install
	$(BIN)/python -m eval run $(EVAL_ARGS)
