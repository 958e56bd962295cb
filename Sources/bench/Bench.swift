import ArgumentParser
import Harness

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark video-summarisation models on equal terms: same data, same metrics, each model on its published schedule, with speed and memory measured in the same run.",
        discussion: """
        Start with `bench all --size small`: every registered model trained and tested on the synthetic \
        MR.HiSum-format stand-in (generated on first use into $BENCH_CACHE or ~/.cache/bench), then a comparison \
        in results/<run-id>/summary.md. Synthetic numbers are never MR.HiSum results.

        Use your own data with --data mr_hisum.h5 --split mr_hisum_split.json (or an eccv16 TVSum/SumMe h5 with \
        its splits and --split-index). Every run writes a new folder and never overwrites an earlier one; Ctrl-C \
        stops at the next step and keeps what finished.
        """,
        subcommands: [AllCommand.self, ModelCommand.self, PredictCommand.self, SpeedCommand.self, CheckCommand.self,
                      ReportCommand.self, SweepCommand.self, DataCommand.self])
}
