using System.Runtime.InteropServices;

namespace EdgeExporter.Http.Linux;

/// <summary>
/// The libssl and libcrypto calls the TLS layer is made of (OpenSSL 3.0, Debian 12's libssl-dev).
/// Bound at link time in the static binary by the executable's <c>&lt;DirectPInvoke&gt;</c> and
/// <c>&lt;NativeLibrary&gt;</c> items for libssl.a and libcrypto.a; a test run on the JIT loads
/// libssl.so and libcrypto.so instead. Constants are those of openssl/ssl.h, bio.h and crypto.h;
/// the macros there (SSL_CTX_set_min_proto_version, SSL_CTX_set_mode, BIO_set_retry_read) are the
/// ctrl and flag calls written out.
/// </summary>
internal static unsafe partial class OpenSsl
{
    public const ulong InitNoLoadConfig = 0x80; // OPENSSL_INIT_NO_LOAD_CONFIG: no openssl.cnf, which an empty rootfs lacks anyway
    public const int FileTypePem = 1;

    public const int ErrorNone = 0;
    public const int ErrorSsl = 1;
    public const int ErrorWantRead = 2;
    public const int ErrorWantWrite = 3;
    public const int ErrorSyscall = 5;
    public const int ErrorZeroReturn = 6;

    public const int CtrlMode = 33;
    public const int CtrlSetSessionCacheMode = 44;
    public const int CtrlSetMinProtoVersion = 123;
    public const int CtrlSetMaxProtoVersion = 124;

    /// <summary>SSL_CTRL_SET_GROUPS_LIST (ssl.h): what SSL_CTX_set1_groups_list expands to.</summary>
    public const int CtrlSetGroupsList = 92;

    public const long ModeEnablePartialWrite = 0x1;
    public const long ModeAcceptMovingWriteBuffer = 0x2;
    public const long ModeReleaseBuffers = 0x10;
    public const long SessionCacheOff = 0;

    public const ulong OpNoCompression = 1UL << 17;
    public const ulong OpCipherServerPreference = 1UL << 22;
    public const ulong OpNoRenegotiation = 1UL << 30;

    public const int VerifyNone = 0;
    public const int VerifyPeer = 0x1;
    public const int VerifyFailIfNoPeerCert = 0x2;

    /// <summary>SSL_CTRL_SET_TLSEXT_HOSTNAME with TLSEXT_NAMETYPE_host_name (tls1.h): what SSL_set_tlsext_host_name expands to.</summary>
    public const int CtrlSetTlsExtHostName = 55;
    public const int TlsExtNameTypeHostName = 0;

    /// <summary>X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS (x509v3.h): a wildcard stands for a whole left-most label, as Go's crypto/x509 matches.</summary>
    public const uint CheckFlagNoPartialWildcards = 0x4;

    public const int BioTypeSourceSink = 0x0400;
    public const int BioFlagsRead = 0x01;
    public const int BioFlagsWrite = 0x02;
    public const int BioFlagsIoSpecial = 0x04;
    public const int BioFlagsShouldRetry = 0x08;
    public const int BioCtrlFlush = 11;

    [LibraryImport("libssl", EntryPoint = "OPENSSL_init_ssl")]
    public static partial int InitSsl(ulong options, void* settings);

    [LibraryImport("libssl", EntryPoint = "TLS_server_method")]
    public static partial nint TlsServerMethod();

    [LibraryImport("libssl", EntryPoint = "TLS_client_method")]
    public static partial nint TlsClientMethod();

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_new")]
    public static partial nint ContextNew(nint method);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_free")]
    public static partial void ContextFree(nint context);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_use_certificate_chain_file")]
    public static partial int UseCertificateChainFile(nint context, byte* file);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_use_PrivateKey_file")]
    public static partial int UsePrivateKeyFile(nint context, byte* file, int type);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_check_private_key")]
    public static partial int CheckPrivateKey(nint context);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_load_verify_locations")]
    public static partial int LoadVerifyLocations(nint context, byte* caFile, byte* caPath);

    [LibraryImport("libssl", EntryPoint = "SSL_load_client_CA_file")]
    public static partial nint LoadClientCaFile(byte* file);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_set_client_CA_list")]
    public static partial void SetClientCaList(nint context, nint names);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_ctrl")]
    public static partial nint ContextControl(nint context, int command, nint argument, void* pointer);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_set_cipher_list")]
    public static partial int SetCipherList(nint context, byte* ciphers);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_set_options")]
    public static partial ulong SetOptions(nint context, ulong options);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_set_verify")]
    public static partial void SetVerify(nint context, int mode, delegate* unmanaged<int, nint, int> callback);

    [LibraryImport("libssl", EntryPoint = "SSL_CTX_set_session_id_context")]
    public static partial int SetSessionIdContext(nint context, byte* id, uint length);

    [LibraryImport("libssl", EntryPoint = "SSL_new")]
    public static partial nint SslNew(nint context);

    [LibraryImport("libssl", EntryPoint = "SSL_free")]
    public static partial void SslFree(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_set_bio")]
    public static partial void SetBio(nint ssl, nint readBio, nint writeBio);

    [LibraryImport("libssl", EntryPoint = "SSL_set_accept_state")]
    public static partial void SetAcceptState(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_set_connect_state")]
    public static partial void SetConnectState(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_ctrl")]
    public static partial nint SslControl(nint ssl, int command, nint argument, void* pointer);

    [LibraryImport("libssl", EntryPoint = "SSL_set1_host")]
    public static partial int SetHost(nint ssl, byte* name);

    [LibraryImport("libssl", EntryPoint = "SSL_set_hostflags")]
    public static partial void SetHostFlags(nint ssl, uint flags);

    [LibraryImport("libssl", EntryPoint = "SSL_get0_param")]
    public static partial nint VerifyParameters(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_get_verify_result")]
    public static partial nint VerifyResult(nint ssl);

    [LibraryImport("libcrypto", EntryPoint = "X509_VERIFY_PARAM_set1_ip_asc")]
    public static partial int SetVerifyIp(nint parameters, byte* address);

    [LibraryImport("libcrypto", EntryPoint = "X509_verify_cert_error_string")]
    public static partial byte* VerifyErrorString(nint result);

    [LibraryImport("libcrypto", EntryPoint = "ERR_reason_error_string")]
    public static partial byte* ReasonString(nuint error);

    [LibraryImport("libssl", EntryPoint = "SSL_do_handshake")]
    public static partial int DoHandshake(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_read_ex")]
    public static partial int ReadEx(nint ssl, byte* buffer, nuint length, nuint* read);

    [LibraryImport("libssl", EntryPoint = "SSL_write_ex")]
    public static partial int WriteEx(nint ssl, byte* buffer, nuint length, nuint* written);

    [LibraryImport("libssl", EntryPoint = "SSL_get_error")]
    public static partial int GetError(nint ssl, int result);

    [LibraryImport("libssl", EntryPoint = "SSL_has_pending")]
    public static partial int HasPending(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_shutdown")]
    public static partial int SslShutdown(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_session_reused")]
    public static partial int SessionReused(nint ssl);

    [LibraryImport("libssl", EntryPoint = "SSL_version")]
    public static partial int Version(nint ssl);

    [LibraryImport("libcrypto", EntryPoint = "ERR_clear_error")]
    public static partial void ClearErrors();

    [LibraryImport("libcrypto", EntryPoint = "ERR_get_error")]
    public static partial nuint GetErrorCode();

    [LibraryImport("libcrypto", EntryPoint = "ERR_error_string_n")]
    public static partial void ErrorString(nuint error, byte* buffer, nuint length);

    [LibraryImport("libcrypto", EntryPoint = "BIO_get_new_index")]
    public static partial int BioNewIndex();

    [LibraryImport("libcrypto", EntryPoint = "BIO_meth_new")]
    public static partial nint BioMethodNew(int type, byte* name);

    [LibraryImport("libcrypto", EntryPoint = "BIO_meth_set_write_ex")]
    public static partial int BioMethodSetWrite(nint method, delegate* unmanaged<nint, byte*, nuint, nuint*, int> write);

    [LibraryImport("libcrypto", EntryPoint = "BIO_meth_set_read_ex")]
    public static partial int BioMethodSetRead(nint method, delegate* unmanaged<nint, byte*, nuint, nuint*, int> read);

    [LibraryImport("libcrypto", EntryPoint = "BIO_meth_set_ctrl")]
    public static partial int BioMethodSetControl(nint method, delegate* unmanaged<nint, int, nint, void*, nint> control);

    [LibraryImport("libcrypto", EntryPoint = "BIO_new")]
    public static partial nint BioNew(nint method);

    [LibraryImport("libcrypto", EntryPoint = "BIO_free")]
    public static partial int BioFree(nint bio);

    [LibraryImport("libcrypto", EntryPoint = "BIO_set_data")]
    public static partial void BioSetData(nint bio, nint data);

    [LibraryImport("libcrypto", EntryPoint = "BIO_get_data")]
    public static partial nint BioGetData(nint bio);

    [LibraryImport("libcrypto", EntryPoint = "BIO_set_init")]
    public static partial void BioSetInit(nint bio, int init);

    [LibraryImport("libcrypto", EntryPoint = "BIO_set_flags")]
    public static partial void BioSetFlags(nint bio, int flags);

    [LibraryImport("libcrypto", EntryPoint = "BIO_clear_flags")]
    public static partial void BioClearFlags(nint bio, int flags);

    /// <summary>The oldest error on this thread's OpenSSL queue, as text ("error:0A000086:SSL routines::certificate verify failed"), and the queue cleared.</summary>
    public static string TakeError()
    {
        nuint code = GetErrorCode();
        ClearErrors();
        if (code == 0)
        {
            return "no OpenSSL error recorded";
        }

        byte* text = stackalloc byte[256];
        ErrorString(code, text, 256);
        return Marshal.PtrToStringUTF8((nint)text) ?? "";
    }

    /// <summary>
    /// Why a client handshake failed, in OpenSSL's words: the reason of the oldest error on the
    /// queue ("certificate verify failed"), and when the peer's certificate was refused, the
    /// verifier's reason after it ("unable to get local issuer certificate"). The queue is cleared.
    /// </summary>
    public static string TakeHandshakeError(nint ssl)
    {
        nuint code = GetErrorCode();
        ClearErrors();
        byte* reason = code == 0 ? null : ReasonString(code);
        string text = code == 0 ? "the peer closed the connection" : reason is null ? $"OpenSSL error {code:x}" : Marshal.PtrToStringUTF8((nint)reason) ?? "";
        nint verify = VerifyResult(ssl);
        byte* why = verify == 0 ? null : VerifyErrorString(verify);
        if (why != null)
        {
            text += ": " + Marshal.PtrToStringUTF8((nint)why);
        }

        return text;
    }
}
