namespace EdgeExporter.Http;

/// <summary>
/// Why a request is refused, as Kestrel names its <c>RequestRejectionReason</c>s: the parser says
/// what is wrong, <see cref="RequestRejections.Status"/> alone decides what the client is told.
/// Every rejection closes the connection: after a framing error the next request cannot be found.
/// </summary>
public enum RequestRejection
{
    None = 0,
    InvalidRequestLine,
    InvalidMethod,
    InvalidTarget,
    InvalidVersion,
    UnsupportedVersion,
    InvalidHeaderLine,
    DuplicateHost,
    MissingHost,
    InvalidHost,
    InvalidContentLength,
    ConflictingContentLength,
    ContentLengthWithTransferEncoding,
    TransferEncodingNotSupported,
    BodyNotAllowed,
    RequestLineTooLong,
    HeadersTooLarge,
    HeadersTimeout,
}

public static class RequestRejections
{
    /// <summary>The one place a rejection becomes a status code.</summary>
    public static int Status(RequestRejection rejection) => rejection switch
    {
        RequestRejection.None => 200,
        RequestRejection.UnsupportedVersion => 505,
        RequestRejection.TransferEncodingNotSupported => 501, // no request bodies on these routes; a chunked one cannot be skipped safely
        RequestRejection.BodyNotAllowed => 413,               // a body we do not read would be taken for the next request
        RequestRejection.RequestLineTooLong => 414,
        RequestRejection.HeadersTooLarge => 431,
        RequestRejection.HeadersTimeout => 408,
        _ => 400,
    };
}
