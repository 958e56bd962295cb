import Foundation

/// Problems with the eccv16 (TVSum / SumMe) inputs beyond those every reader shares (`DataError`):
/// the frame-level data sets, TVSum's annotation file and the id mapping. Every case names the file,
/// the video where there is one, and what is wrong.
public enum ECCV16DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A `user_summary` value other than 0 or 1.
    case userSummaryValue(file: String, video: String, user: Int, frame: Int, value: Float)
    /// Change points must tile 0 ..< n_frames: the first starts at 0, each starts right after the
    /// previous one ends, the last ends at n_frames - 1.
    case changePointsNotCovering(file: String, video: String, row: Int, reason: String)
    /// `n_frame_per_seg` differs from end - start + 1 of the change points.
    case framesPerSegmentMismatch(file: String, video: String, row: Int?, reason: String)
    /// A line of `ydata-anno.tsv` that cannot be read.
    case badAnnotationLine(file: String, line: Int, reason: String)
    /// An annotator's row has a different number of frames than the video's `n_frames` (or than the
    /// video's other annotators).
    case annotationFrameCount(file: String, video: String, annotator: Int, frames: Int, expected: Int)
    /// An id with no annotations, or a group with no id in the mapping.
    case unknownAnnotatedVideo(file: String, video: String, reason: String)
    /// A video's annotations that the `annotators` protocol cannot use (fewer than two annotators).
    case unusableAnnotations(file: String, video: String, reason: String)
    case badMapping(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .userSummaryValue(file, video, user, frame, value):
            return "\(file), video \(video): `user_summary`[\(user)][\(frame)] is \(value), expected 0 or 1"
        case let .changePointsNotCovering(file, video, row, reason):
            return "\(file), video \(video): `change_points` row \(row) \(reason); the change points must cover every frame once"
        case let .framesPerSegmentMismatch(file, video, row, reason):
            let place = row.map { " row \($0)" } ?? ""
            return "\(file), video \(video): `n_frame_per_seg`\(place) \(reason)"
        case let .badAnnotationLine(file, line, reason):
            return "\(file), line \(line): \(reason)"
        case let .annotationFrameCount(file, video, annotator, frames, expected):
            return "\(file), video \(video): annotator \(annotator + 1) scores \(frames) frames, expected \(expected)"
        case let .unknownAnnotatedVideo(file, video, reason), let .unusableAnnotations(file, video, reason):
            return "\(file), video \(video): \(reason)"
        case let .badMapping(file, line, reason):
            return "\(file), line \(line): \(reason)"
        }
    }
}
