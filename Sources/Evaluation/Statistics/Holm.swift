/// Holm-Bonferroni adjusted p-values, in the order of `pValues`.
///
/// With the m p-values sorted ascending, p_(1) <= ... <= p_(m), the adjusted value of the j-th
/// smallest is min(1, max over i <= j of (m - i + 1) p_(i)): the step-down multiplier, then the running
/// maximum, so that an adjusted value never falls below a smaller p's (rejecting at level alpha with
/// the adjusted values is then exactly Holm's sequential procedure, which controls the family-wise
/// error rate over the m pairs without assuming independence). Equal p-values get equal adjusted
/// values whatever their order. The result is that of R's `p.adjust(p, "holm")` and statsmodels'
/// `multipletests(p, method="holm")`.
public func holmAdjusted(_ pValues: [Double]) -> [Double] {
    precondition(pValues.allSatisfy { $0 >= 0 && $0 <= 1 }, "holmAdjusted: p-values must be in [0, 1]")
    let m = pValues.count
    // Stable, so ties keep their input order; the running maximum gives tied p-values the same value.
    let order = pValues.indices.sorted { pValues[$0] < pValues[$1] || (pValues[$0] == pValues[$1] && $0 < $1) }
    var adjusted = [Double](repeating: 0, count: m)
    var runningMax = 0.0
    for (rank, index) in order.enumerated() {
        runningMax = max(runningMax, min(1, Double(m - rank) * pValues[index]))
        adjusted[index] = runningMax
    }
    return adjusted
}
