// swift-tools-version: 6.1
// A package that needs only the Trenza library, written as a new user would. `traits: []` turns
// off Trenza's default `Tools` trait, so SwiftPM resolves none of the command line's stack
// (Hummingbird, AsyncHTTPClient, swift-crypto…): ConsumerPackageTests checks that, and that the
// public API is enough to define and run a job of one's own.
import PackageDescription

let package = Package(
    name: "Consumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Trenza", path: "../../..", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "Trenza", package: "Trenza")]
        ),
    ]
)
