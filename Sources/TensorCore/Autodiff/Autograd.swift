/// One recorded op: the inputs it read and how to turn the gradient of its output into gradients of
/// those inputs. The closure holds the activations the backward pass needs; it is dropped as soon as it
/// has run, so saved activations are released during the backward walk.
final class Node {
    let inputs: [Tensor]
    var backward: ((Tensor) -> [Tensor?])?

    init(inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record what their backward pass needs. Off inside `withNoGrad` (evaluation, optimizer
/// updates, and the backward pass itself). Task-local, so concurrent tasks (tests, or several models
/// evaluated side by side) never switch each other's recording off.
public enum GradMode {
    @TaskLocal static var enabled = true

    public static var isEnabled: Bool { enabled }

    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(false) { try body() }
    }

    public static func withGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(true) { try body() }
    }
}

extension Tensor {
    /// True when a gradient must flow into this tensor: a parameter, or the output of a recorded op.
    var needsGrad: Bool { requiresGrad || node != nil }

    /// Whether an op on `inputs` records its backward pass: gradients are enabled and some input needs one.
    static func recordsGradient(from inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.needsGrad }
    }

    /// Records `output = op(inputs)` when gradients are enabled and some input needs a gradient.
    /// `backward` receives the output's gradient and returns one gradient (or nil) per input.
    @discardableResult
    func recorded(from inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if Tensor.recordsGradient(from: inputs) {
            node = Node(inputs: inputs, backward: backward)
        }
        return self
    }

    /// Back-propagates from this scalar: accumulates d(self)/d(leaf) into `grad` of every leaf tensor
    /// that requires gradients. The graph is consumed.
    public func backward() {
        checkArgument(count == 1, "backward(): needs a scalar loss, got shape \(shape)")
        backward(seed: Tensor(repeating: 1, shape: shape))
    }

    /// Back-propagates a given output gradient (same shape as self).
    public func backward(seed: Tensor) {
        checkArgument(seed.shape == shape, "backward(seed:): seed shape \(seed.shape) != tensor shape \(shape)")
        // Reverse topological order by iterative depth-first search over recorded nodes.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !visited.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            if let node = t.node {
                for input in node.inputs where input.needsGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        GradMode.withNoGrad {
            for t in order.reversed() {
                let id = ObjectIdentifier(t)
                guard var g = grads.removeValue(forKey: id) else { continue }
                if let node = t.node {
                    guard let backwardFn = node.backward else {
                        fatalError("backward(): the graph through a tensor of shape \(t.shape) was already consumed")
                    }
                    let inputGrads = backwardFn(g)
                    node.backward = nil
                    t.node = nil
                    for (input, ig) in zip(node.inputs, inputGrads) {
                        guard let ig, input.needsGrad else { continue }
                        checkArgument(ig.shape == input.shape,
                                     "backward(): gradient shape \(ig.shape) for input of shape \(input.shape)")
                        let key = ObjectIdentifier(input)
                        if let existing = grads[key] {
                            grads[key] = existing.adding(ig)
                        } else {
                            grads[key] = ig
                        }
                    }
                } else if t.requiresGrad {
                    if let existing = t.grad {
                        existing.accumulate(g)
                    } else if isKnownUniquelyReferenced(&g) && g.isOnlyViewOfStorage {
                        // Nothing else holds this gradient or views its buffer (the seed, a gradient passed
                        // through to several inputs, or a reshape would): it becomes the parameter's own,
                        // as a copy would, without the copy (49 MB a step for EDSNet's weights).
                        t.grad = g
                    } else {
                        t.grad = g.copy()
                    }
                }
            }
        }
    }
}
