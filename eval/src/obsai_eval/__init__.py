"""ObsAI's evaluation harness: how often an answer's PromQL gives the gold's result.

For each question of a questions file the harness asks an *answerer* (ObsAI
through its public API, or a scripted stand-in in tests), then evaluates the
gold PromQL and the answer's PromQL on the same Prometheus at the same instant
and compares the results (`compare`). `python -m obsai_eval` is the CLI.

Modules:
    questions   load and check a questions file
    promql      parse PromQL, extract metric names
    prometheus  instant queries against Prometheus
    compare     the execution-match definition
    answerers   who answers: HTTP (ObsAI), gold echo, scripted
    runner      one question, one run
    report      table, misses by category, JSON, the accuracy line
"""
