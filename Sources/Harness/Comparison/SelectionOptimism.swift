import Evaluation
import Foundation

/// How much choosing the epoch on the test fold flatters a model (evaluation.md "Model selection"):
/// for each model that ran with both `--selection val` and `--selection test`, per quality metric, the
/// test-selected mean minus the validation-selected one, with the paired interval and Holm p of that
/// pair from the comparison's statistics (the two rows share their test videos, so the pair is paired).
public struct SelectionOptimism: Codable, Sendable, Equatable {
    public var model: String
    public var metric: String
    public var selectedOnValidation: Double
    public var selectedOnTest: Double
    /// selectedOnTest - selectedOnValidation: positive is flattering for rank metrics and F1, negative for MSE.
    public var optimism: Double
    public var ci95: ConfidenceInterval
    public var pHolm: Double

    /// Every (model, metric) of `stats` that has both rows and their pair.
    static func of(_ stats: ComparisonStatistics) -> [SelectionOptimism] {
        let suffix = " [\(ModelSelection.optimisticLabel)]"
        var out: [SelectionOptimism] = []
        for pair in stats.pairs {
            // Labels sort so that the validation row (a prefix of the other) is a, but take either order.
            let (val, test, sign): (String, String, Double)
            if pair.b == pair.a + suffix { (val, test, sign) = (pair.a, pair.b, -1) }
            else if pair.a == pair.b + suffix { (val, test, sign) = (pair.b, pair.a, 1) }
            else { continue }
            guard let v = stats.models.first(where: { $0.model == val && $0.metric == pair.metric })?.mean,
                  let t = stats.models.first(where: { $0.model == test && $0.metric == pair.metric })?.mean else { continue }
            let bounds = [sign * pair.ci95.lower, sign * pair.ci95.upper]
            out.append(SelectionOptimism(model: val, metric: pair.metric, selectedOnValidation: v, selectedOnTest: t,
                                         optimism: sign * pair.meanDifference,
                                         ci95: ConfidenceInterval(lower: bounds.min()!, upper: bounds.max()!), pHolm: pair.pHolm))
        }
        return out
    }
}
