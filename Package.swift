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
        .executable(name: "trenza", targets: ["trenza"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
            dependencies: ["Trenza", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TrenzaServer",
            dependencies: [
                "Trenza",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TrenzaBench",
            dependencies: ["Trenza", "TrenzaLessons", "TrenzaImaging"]
        ),
        .executableTarget(
            name: "trenza",
            dependencies: [
                "Trenza", "TrenzaImaging", "TrenzaLessons", "TrenzaBench", "TrenzaServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "TrenzaTests", dependencies: ["Trenza"]),
        .testTarget(name: "TrenzaCLITests", dependencies: ["Trenza", "TrenzaImaging", "TrenzaBench"]),
        .testTarget(name: "TrenzaBenchTests", dependencies: ["TrenzaBench", "TrenzaImaging"]),
        .testTarget(
            name: "TrenzaServerTests",
            dependencies: [
                "TrenzaServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TrenzaImagingTests",
            dependencies: ["TrenzaImaging"],
            // Python helpers the tests run under Pillow (scripts/with-pillow.sh) to make fixtures.
            exclude: ["codec_fixtures.py", "pillow_parity.py"]
        ),
    ]
)
