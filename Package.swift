// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Trenza",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Trenza", targets: ["Trenza"]),
        .library(name: "TrenzaLessons", targets: ["TrenzaLessons"]),
        .library(name: "TrenzaImaging", targets: ["TrenzaImaging"]),
        .library(name: "TrenzaServer", targets: ["TrenzaServer"]),
        .library(name: "TrenzaFetch", targets: ["TrenzaFetch"]),
        .executable(name: "trenza", targets: ["trenza"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "CTrenzaSystem"),
        .target(
            name: "Trenza",
            dependencies: ["CTrenzaSystem", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CTrenzaCodecs",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]
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
                .product(name: "Hummingbird", package: "hummingbird"),
                // The HTTP/1 child channel that the server wraps with its connection defences.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "CTrenzaXattr"),
        .target(
            name: "TrenzaFetch",
            dependencies: [
                "Trenza",
                "CTrenzaXattr",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TrenzaBench",
            dependencies: [
                "Trenza", "TrenzaLessons", "TrenzaImaging", "TrenzaFetch", "TrenzaServer",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "trenza",
            dependencies: [
                "Trenza", "TrenzaImaging", "TrenzaLessons", "TrenzaBench", "TrenzaServer", "TrenzaFetch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What several test targets need: the built `trenza`, blocking work off the cooperative pool.
        .target(name: "TrenzaTestSupport", path: "Tests/TrenzaTestSupport"),
        .testTarget(name: "TrenzaTests", dependencies: ["Trenza", "TrenzaTestSupport"]),
        .testTarget(name: "TrenzaCLITests", dependencies: ["Trenza", "TrenzaImaging", "TrenzaBench", "TrenzaTestSupport"]),
        .testTarget(name: "TrenzaBenchTests", dependencies: ["TrenzaBench", "TrenzaImaging"]),
        .testTarget(
            name: "TrenzaServerTests",
            dependencies: [
                "TrenzaServer", "TrenzaImaging", "TrenzaTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TrenzaFetchTests",
            dependencies: [
                "TrenzaFetch",
                "TrenzaServer",
                "TrenzaTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
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
