import HTTPTypes

extension HTTPField.Name {
    /// The tutorial's response-time header: the seconds the server spent, with 4 decimals.
    public static var xTiempoRespuesta: Self { Self("X-Tiempo-Respuesta")! }
    /// The W3C header browsers' developer tools show: `total;dur=<milliseconds>`.
    public static var serverTiming: Self { Self("Server-Timing")! }
}
