import PostgresNIO
import Testing
@testable import TrenzaCluster

@Suite("Queue URLs, as libpq writes them")
struct URLTests {
    @Test func tcpWithEverything() throws {
        let url = try QueueURL("postgresql://alice:s3cret@db.example.com:6543/photos?sslmode=require&application_name=night")
        #expect(url.endpoint == .tcp(host: "db.example.com", port: 6543))
        #expect(url.user == "alice")
        #expect(url.password == "s3cret")
        #expect(url.database == "photos")
        #expect(url.sslMode == .require)
        #expect(url.applicationName == "night")
        #expect(url.socketFile == nil)
        #expect(url.description == "postgresql://alice@db.example.com:6543/photos?sslmode=require")
    }

    @Test func postgresSchemeAndDefaults() throws {
        let url = try QueueURL("postgres://db", defaultUser: "bob")
        #expect(url.endpoint == .tcp(host: "db", port: 5432))
        #expect(url.user == "bob")
        #expect(url.database == "bob")
        #expect(url.password == nil)
        #expect(url.sslMode == .prefer)
    }

    @Test func socketFolderAsParameter() throws {
        let url = try QueueURL("postgresql:///queue?host=/tmp/pg/sock", defaultUser: "carol")
        #expect(url.endpoint == .socket(folder: "/tmp/pg/sock", port: 5432))
        #expect(url.socketFile == "/tmp/pg/sock/.s.PGSQL.5432")
        #expect(url.database == "queue")
        #expect(url.user == "carol")
    }

    @Test func socketFolderPercentEncodedWithPort() throws {
        let url = try QueueURL("postgresql://postgres@%2Fvar%2Frun%2Fpostgresql:5433/jobs")
        #expect(url.endpoint == .socket(folder: "/var/run/postgresql", port: 5433))
        #expect(url.socketFile == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(url.user == "postgres")
        #expect(url.database == "jobs")
    }

    @Test func noHostMeansDebianSocketFolder() throws {
        let url = try QueueURL("postgresql:///", defaultUser: "dan")
        #expect(url.socketFile == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(url.database == "dan")
    }

    @Test func parametersOverrideTheAuthority() throws {
        let url = try QueueURL("postgresql://a@h/d?user=other&port=7000&dbname=x&password=p%26q")
        #expect(url.user == "other")
        #expect(url.endpoint == .tcp(host: "h", port: 7000))
        #expect(url.database == "x")
        #expect(url.password == "p&q")
    }

    @Test func ipv6AndEncodedCredentials() throws {
        let url = try QueueURL("postgresql://us%40er:p%3Ass%2Fw@[::1]:5434/db%20name")
        #expect(url.endpoint == .tcp(host: "::1", port: 5434))
        #expect(url.user == "us@er")
        #expect(url.password == "p:ss/w")
        #expect(url.database == "db name")
    }

    @Test(arguments: [
        ("mysql://h/db", "starts with postgresql:// or postgres://"),
        ("postgresql://h:99999/db", "port \"99999\""),
        ("postgresql://h:abc/db", "port \"abc\""),
        ("postgresql://h1,h2/db", "several hosts"),
        ("postgresql://h/db?sslmode=sometimes", "sslmode \"sometimes\""),
        ("postgresql://h/db?target_session_attrs=any", "unknown parameter \"target_session_attrs\""),
        ("postgresql://h/db?sslmode", "has no value"),
        ("postgresql://h/d%zzb", "not followed by two hex digits"),
        ("postgresql://[::1/db", "no closing"),
        ("postgresql:///db?host=/tmp&sslmode=require", "needs a TCP host"),
        ("postgresql://h/db?connect_timeout=soon", "connect_timeout"),
    ])
    func badURLsSayWhy(text: String, reason: String) {
        #expect {
            try QueueURL(text, defaultUser: "u")
        } throws: { error in
            let error = error as! QueueURLError
            return error.reason.contains(reason) && error.description.hasPrefix("bad queue URL ")
        }
    }

    @Test func errorsNeverShowThePassword() {
        let error = #expect(throws: QueueURLError.self) {
            try QueueURL("postgresql://me:hunter2@h:0/db")
        }
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.contains("me:***@h:0") == true)
    }

    @Test func clientConfigurationCarriesTheSessionSettings() throws {
        let socket = try QueueURL("postgresql://postgres@/q?host=/s&port=6000").clientConfiguration()
        #expect(socket.unixSocketPath == "/s/.s.PGSQL.6000")
        #expect(socket.username == "postgres")
        #expect(socket.database == "q")
        let parameters = Dictionary(uniqueKeysWithValues: socket.options.additionalStartupParameters)
        #expect(parameters["idle_in_transaction_session_timeout"] == "5000")
        #expect(parameters["tcp_keepalives_idle"] == "15")
        #expect(parameters["tcp_keepalives_count"] == "3")
        #expect(parameters["application_name"] == "trenza")

        let tcp = try QueueURL("postgresql://u:p@h:5555/d?sslmode=disable&connect_timeout=3").clientConfiguration()
        #expect(tcp.host == "h")
        #expect(tcp.port == 5555)
        #expect(tcp.password == "p")
        #expect(tcp.options.connectTimeout == .seconds(3))
    }
}
