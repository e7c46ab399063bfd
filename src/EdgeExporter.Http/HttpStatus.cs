namespace EdgeExporter.Http;

public static class HttpStatus
{
    public static ReadOnlySpan<byte> StatusLine(int status) => status switch
    {
        200 => "200 OK"u8,
        400 => "400 Bad Request"u8,
        401 => "401 Unauthorized"u8,
        404 => "404 Not Found"u8,
        405 => "405 Method Not Allowed"u8,
        408 => "408 Request Timeout"u8,
        413 => "413 Content Too Large"u8,
        414 => "414 URI Too Long"u8,
        429 => "429 Too Many Requests"u8,
        431 => "431 Request Header Fields Too Large"u8,
        500 => "500 Internal Server Error"u8,
        501 => "501 Not Implemented"u8,
        503 => "503 Service Unavailable"u8,
        505 => "505 HTTP Version Not Supported"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
