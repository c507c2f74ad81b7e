// swift-tools-version: 6.1
import PackageDescription

// The `Trenza` library needs only swift-log and swift-system. Everything else below serves the
// `trenza` command line and its feature modules, and is used only under the `Tools` trait: a
// package that depends on Trenza with `traits: []` resolves three packages instead of twenty-seven
// (scripts/measure-consumer.sh measures it), while `swift run trenza` and `swift test` here get the
// default trait and the whole stack.
let tools: TargetDependencyCondition? = .when(traits: ["Tools"])

/// A product of a package that only the command line and its modules use.
func tool(_ name: String, _ package: String) -> Target.Dependency {
    .product(name: name, package: package, condition: tools)
}

let package = Package(
    name: "Trenza",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Trenza", targets: ["Trenza"]),
        .library(name: "TrenzaLessons", targets: ["TrenzaLessons"]),
        .library(name: "TrenzaImaging", targets: ["TrenzaImaging"]),
        .library(name: "TrenzaServer", targets: ["TrenzaServer"]),
        .library(name: "TrenzaFetch", targets: ["TrenzaFetch"]),
        .library(name: "TrenzaCluster", targets: ["TrenzaCluster"]),
        .executable(name: "trenza", targets: ["trenza"]),
    ],
    traits: [
        .trait(
            name: "Tools",
            description: "The trenza command line and its modules (server, downloader, images, bench, lessons) with their dependencies: Hummingbird, AsyncHTTPClient, swift-crypto, swift-argument-parser…"
        ),
        .default(enabledTraits: ["Tools"]),
    ],
    dependencies: [
        // The library's own.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // The tools'.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // `swift package generate-documentation` for scripts/build-docs.sh. No target uses it, so
        // SwiftPM does not resolve it for a package that depends on Trenza.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CTrenzaSystem"),
        .target(
            name: "Trenza",
            dependencies: [
                "CTrenzaSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "CTrenzaCodecs",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("deflate")]
        ),
        .target(name: "CTrenzaKernels"),
        .target(
            name: "TrenzaImaging",
            dependencies: ["Trenza", "CTrenzaCodecs", "CTrenzaKernels"]
        ),
        .target(
            name: "TrenzaLessons",
            // The download lessons run TrenzaFetch's job against a TrenzaServer of their own.
            dependencies: ["Trenza", "TrenzaFetch", "TrenzaServer", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TrenzaServer",
            dependencies: [
                "Trenza", "TrenzaImaging",
                tool("Hummingbird", "hummingbird"),
                // The HTTP/1 child channel that the server wraps with its connection defences.
                tool("HummingbirdCore", "hummingbird"),
                tool("Metrics", "swift-metrics"),
                tool("Prometheus", "swift-prometheus"),
                tool("NIOCore", "swift-nio"),
                tool("NIOPosix", "swift-nio"),
                tool("NIOHTTP1", "swift-nio"),
                tool("HTTPTypes", "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                tool("ServiceLifecycle", "swift-service-lifecycle"),
            ]
        ),
        .target(name: "CTrenzaXattr"),
        .target(
            name: "TrenzaFetch",
            dependencies: [
                "Trenza",
                "CTrenzaXattr",
                tool("AsyncHTTPClient", "async-http-client"),
                tool("Crypto", "swift-crypto"),
                tool("NIOCore", "swift-nio"),
                tool("NIOPosix", "swift-nio"),
                tool("NIOHTTP1", "swift-nio"),
            ]
        ),
        .target(
            name: "TrenzaCluster",
            dependencies: [
                "Trenza",
                tool("PostgresNIO", "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Raw claim→complete throughput of the queue, outside `swift test` (scripts/bench-queue.sh).
        .executableTarget(
            name: "trenza-queue-bench",
            dependencies: ["Trenza", "TrenzaCluster", "TrenzaClusterTestSupport"],
            path: "Tests/Tools/QueueBench"
        ),
        .target(
            name: "TrenzaBench",
            dependencies: [
                "Trenza", "TrenzaLessons", "TrenzaImaging", "TrenzaFetch", "TrenzaServer", "TrenzaCluster",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "trenza",
            dependencies: [
                "Trenza", "TrenzaImaging", "TrenzaLessons", "TrenzaBench", "TrenzaServer", "TrenzaFetch", "TrenzaCluster",
                tool("ArgumentParser", "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A program that uses worker processes without any hook in its `main`: the tests run it
        // contained and check that workers never run `main` and jobs travel with their values.
        .executableTarget(name: "trenza-host-fixture", dependencies: ["Trenza"], path: "Tests/Fixtures/HostFixture"),
        // What several test targets need: the built `trenza`, blocking work off the cooperative pool.
        .target(name: "TrenzaTestSupport", path: "Tests/TrenzaTestSupport"),
        // A throw-away PostgreSQL server for the cluster tests and the queue benchmark.
        .target(name: "TrenzaClusterTestSupport", dependencies: ["TrenzaCluster"], path: "Tests/TrenzaClusterTestSupport"),
        .testTarget(
            name: "TrenzaClusterTests",
            dependencies: [
                "Trenza", "TrenzaCluster", "TrenzaClusterTestSupport", "TrenzaTestSupport", "TrenzaServer",
                tool("PostgresNIO", "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "TrenzaTests", dependencies: ["Trenza", "TrenzaTestSupport"]),
        .testTarget(name: "TrenzaCLITests", dependencies: ["Trenza", "TrenzaImaging", "TrenzaBench", "TrenzaTestSupport"]),
        .testTarget(name: "TrenzaBenchTests", dependencies: ["TrenzaBench", "TrenzaImaging"]),
        .testTarget(
            name: "TrenzaServerTests",
            dependencies: [
                "TrenzaServer", "TrenzaImaging", "TrenzaTestSupport",
                tool("HummingbirdTesting", "hummingbird"),
                tool("HTTPTypes", "swift-http-types"),
                tool("NIOEmbedded", "swift-nio"),
                tool("NIOHTTP1", "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TrenzaFetchTests",
            dependencies: [
                "TrenzaFetch",
                "TrenzaServer",
                "TrenzaTestSupport",
                tool("Hummingbird", "hummingbird"),
                tool("HTTPTypes", "swift-http-types"),
                tool("Crypto", "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "TrenzaImagingTests",
            dependencies: ["TrenzaImaging", "TrenzaTestSupport"],
            // Python helpers the tests run under Pillow (scripts/with-pillow.sh) to make fixtures.
            exclude: ["codec_fixtures.py", "pillow_parity.py"]
        ),
    ]
)
