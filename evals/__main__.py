"""python -m evals run [...] | bench [--rows N ...] | questions --out FILE [--score] [--json] | feedback --out FILE"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description="评测:金标问答与性能基准")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="金标问答评测(完整系统与基线对比)")
    run.add_argument("--gold", help="金标问答 JSONL;不给时依次评测 gold、holdout、written、written_two_tables")
    run.add_argument("--tables", nargs="+", metavar="PATH",
                     help="只用这些表格(文件或文件夹)建临时索引来评测(共享嵌入缓存);已知的金标文件默认用其对应表格")
    run.add_argument("--all", action="store_true", help="评测全部已知问题集,各用其对应表格,并排输出")
    run.add_argument("--systems", nargs="+", help="要评测的系统(单个文件默认全部;全部问题集默认 full)")
    run.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    bench = sub.add_parser("bench", help="性能基准:生成 1k/10k/100k 指标行的语料,导入并测量速度与内存")
    from evals.bench import add_arguments

    add_arguments(bench)
    questions = sub.add_parser("questions", help="生成多部门、多种问法的问题(带金标计划与答案);--score 评测助手")
    from evals.questions import add_arguments as add_question_arguments

    add_question_arguments(questions)
    from evals import feedback

    feedback.add_arguments(sub.add_parser("feedback", help="把界面上的 👍/👎 导出为候选金标问题(JSONL)"))
    args = parser.parse_args(argv)
    if args.command == "feedback":
        return feedback.main_feedback(args)
    if args.command == "run":
        from evals import report  # the gold evaluation; imported only when asked for

        return int(report.main_run(args) or 0)
    if args.command == "questions":
        from evals.questions import main_questions

        return main_questions(args)
    from evals.bench import main_bench

    return main_bench(args)


if __name__ == "__main__":
    raise SystemExit(main())
