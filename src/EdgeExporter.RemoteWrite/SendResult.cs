namespace EdgeExporter.RemoteWrite;

/// <summary>What to do with a batch after one attempt to send it.</summary>
public enum SendVerdict
{
    /// <summary>2xx: the receiver has it.</summary>
    Sent,

    /// <summary>5xx, 429 (when retried), a timeout or a broken connection: send the same batch again after a backoff.</summary>
    Retry,

    /// <summary>Any other answer (4xx but 429, 3xx): sending it again cannot succeed; drop it and count it.</summary>
    Drop,
}

/// <summary>One attempt's outcome: the verdict, the status (0 without an answer), the receiver's Retry-After, and for failures a short reason for the log.</summary>
public readonly record struct SendResult(SendVerdict Verdict, int Status, TimeSpan? RetryAfter, string? Problem)
{
    /// <summary>
    /// The remote write 1.0 rules (prometheus.io/docs/specs/remote_write_spec, "Retries &amp; Backoff"):
    /// retry on 5xx, and on 429 unless <c>retry_on_http_429: false</c>; never on another 4xx.
    /// </summary>
    public static SendVerdict Classify(int status, bool retryOn429) => status switch
    {
        >= 200 and < 300 => SendVerdict.Sent,
        429 => retryOn429 ? SendVerdict.Retry : SendVerdict.Drop,
        >= 500 and < 600 => SendVerdict.Retry,
        _ => SendVerdict.Drop,
    };
}
