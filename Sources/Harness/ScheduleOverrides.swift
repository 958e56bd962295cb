import Models

/// Values given on the command line that replace a published schedule's values. Every one that is
/// applied is recorded (name, published value, value used), so a result never hides a deviation.
public struct ScheduleOverrides: Codable, Sendable, Equatable {
    public var epochs: Int?
    public var batchSize: Int?
    public var gradientAccumulation: Int?
    public var learningRate: Double?
    public var weightDecay: Double?
    public var gradientClip: Double?
    public var dropout: Double?
    public var earlyStoppingPatience: Int?

    public init(epochs: Int? = nil, batchSize: Int? = nil, gradientAccumulation: Int? = nil, learningRate: Double? = nil,
                weightDecay: Double? = nil, gradientClip: Double? = nil, dropout: Double? = nil,
                earlyStoppingPatience: Int? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.gradientAccumulation = gradientAccumulation
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.gradientClip = gradientClip
        self.dropout = dropout
        self.earlyStoppingPatience = earlyStoppingPatience
    }

    public var isEmpty: Bool { self == ScheduleOverrides() }

    /// The schedule with these values replaced, and what changed.
    public func apply(to published: TrainingSchedule) -> (TrainingSchedule, [ScheduleOverride]) {
        var schedule = published
        var changes: [ScheduleOverride] = []
        func set<T: Equatable & CustomStringConvertible>(_ name: String, _ value: T?, _ path: WritableKeyPath<TrainingSchedule, T>) {
            guard let value else { return }
            changes.append(ScheduleOverride(name: name, published: "\(published[keyPath: path])", used: "\(value)"))
            schedule[keyPath: path] = value
        }
        set("epochs", epochs, \.epochs)
        set("batch_size", batchSize, \.batchSize)
        set("gradient_accumulation", gradientAccumulation, \.gradientAccumulation)
        set("learning_rate", learningRate, \.peakLearningRate)
        set("weight_decay", weightDecay, \.weightDecay)
        set("dropout", dropout, \.dropout)
        set("early_stopping_patience", earlyStoppingPatience, \.earlyStoppingPatience)
        if let gradientClip {
            changes.append(ScheduleOverride(name: "gradient_clip", published: published.gradientClip.map { "\($0)" } ?? "none",
                                            used: "\(gradientClip)"))
            schedule.gradientClip = gradientClip
        }
        return (schedule, changes)
    }
}

/// One schedule value that a run changed from the published one.
public struct ScheduleOverride: Codable, Sendable, Equatable {
    public var name: String
    public var published: String
    public var used: String
}
