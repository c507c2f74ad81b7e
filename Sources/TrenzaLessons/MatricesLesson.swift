import Foundation
import Trenza

/// A dense square matrix of `Double`, row-major.
public struct Matrix: Codable, Sendable, Equatable {
    public var size: Int
    public var values: [Double]

    public init(size: Int, values: [Double]) {
        precondition(values.count == size * size, "a \(size)×\(size) matrix needs \(size * size) values")
        self.size = size
        self.values = values
    }

    public static func identity(_ size: Int) -> Matrix {
        var values = [Double](repeating: 0, count: size * size)
        for i in 0..<size { values[i * size + i] = 1 }
        return Matrix(size: size, values: values)
    }

    /// Uniform values in [0, 1), like `numpy.random.rand(size, size)`, reproducible by `seed`.
    public static func random(size: Int, seed: UInt64) -> Matrix {
        var generator = SplitMix64(seed: seed)
        return Matrix(size: size, values: (0..<size * size).map { _ in generator.nextUnitDouble() })
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * size + column] }
        set { values[row * size + column] = newValue }
    }

    public static func * (a: Matrix, b: Matrix) -> Matrix {
        let n = a.size
        var product = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let aik = a.values[i * n + k]
                for j in 0..<n { product[i * n + j] += aik * b.values[k * n + j] }
            }
        }
        return Matrix(size: n, values: product)
    }

    /// ‖self − other‖∞: the largest absolute row sum of the difference.
    public func infinityNormDistance(to other: Matrix) -> Double {
        (0..<size).map { i in (0..<size).reduce(0.0) { $0 + abs(self[i, $1] - other[i, $1]) } }.max() ?? 0
    }

    /// The inverse by Gauss–Jordan elimination with partial pivoting.
    /// - Throws: ``JobError`` when the matrix is singular to working precision.
    public func inverted() throws -> Matrix {
        let n = size
        var a = self
        var inverse = Matrix.identity(n)
        for column in 0..<n {
            // The largest pivot in the column keeps rounding errors from growing.
            var pivotRow = column
            for row in column + 1..<n where abs(a[row, column]) > abs(a[pivotRow, column]) { pivotRow = row }
            let pivot = a[pivotRow, column]
            guard abs(pivot) > 1e-300 else { throw JobError("the matrix is singular (no pivot in column \(column))") }
            if pivotRow != column {
                for j in 0..<n {
                    a.values.swapAt(pivotRow * n + j, column * n + j)
                    inverse.values.swapAt(pivotRow * n + j, column * n + j)
                }
            }
            let scale = 1 / pivot
            for j in 0..<n {
                a[column, j] *= scale
                inverse[column, j] *= scale
            }
            for row in 0..<n where row != column {
                let factor = a[row, column]
                if factor == 0 { continue }
                for j in 0..<n {
                    a[row, j] -= factor * a[column, j]
                    inverse[row, j] -= factor * inverse[column, j]
                }
            }
        }
        return inverse
    }
}

/// Inverts one matrix: CPU work for a worker process.
public struct MatrixInverseJob: Job {
    public static let name = "lessons.matrix-inverse"
    public init() {}
    public func run(_ matrix: Matrix) throws -> Matrix { try matrix.inverted() }
}

/// §5.3: async code hands CPU work to worker processes and gathers the results.
struct MatricesLesson: Lesson {
    let slug = "matrices"
    let section = "5.3"
    let title = "Async coordinating CPU work on worker processes"

    func run(_ context: LessonContext) async throws -> [Check] {
        let matrices = (0..<4).map { Matrix.random(size: 100, seed: 53 + UInt64($0)) }
        let start = monotonicSeconds()
        // Awaiting the pool suspends this task without blocking a thread, as
        // `loop.run_in_executor` does for the tutorial's event loop.
        let outcomes = await Runner(engine: .processes, width: context.width, options: .init(workerExecutable: context.executable))
            .map(MatrixInverseJob(), matrices)
        let elapsed = monotonicSeconds() - start
        context.say("Inverted \(matrices.count) matrices of 100×100 in worker processes in \(String(format: "%.2f", elapsed)) s")

        var checks: [Check] = []
        for (index, (matrix, outcome)) in zip(matrices, outcomes).enumerated() {
            switch outcome {
            case .success(let inverse):
                let residual = (matrix * inverse).infinityNormDistance(to: .identity(matrix.size))
                context.say("matrix \(index): inverse \(inverse.size)×\(inverse.size), ‖A·A⁻¹ − I‖∞ = \(String(format: "%.2e", residual))")
                checks.append(Check("matrix \(index): ‖A·A⁻¹ − I‖∞ < 1e-9", residual < 1e-9, observed: String(format: "%.2e", residual)))
            case .failure(let failure):
                checks.append(Check("matrix \(index): inverted in a worker process", false, observed: failure.message))
            }
        }
        return checks
    }
}
