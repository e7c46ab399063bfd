using System.Diagnostics;
using System.Text;
using EdgeExporter.Collectors.Serial;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// Vectors from shared/research/hardware.md, "NMEA 0183" (the gpsinformation.org and gpsd "NMEA
/// Revealed" examples, checksums verified there).
/// </summary>
public class NmeaTests
{
    private static readonly DateTimeOffset Received = new(1994, 3, 23, 12, 35, 20, TimeSpan.Zero);

    [Theory]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47")]
    [InlineData("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A")]
    [InlineData("$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76")]
    [InlineData("$GPRMC,092750.000,A,5321.6802,N,00630.3372,W,0.02,31.66,280511,,,A*43")]
    [InlineData("$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7B")]
    [InlineData("$GPGGA,172814.0,3723.46587704,N,12202.26957864,W,2,6,1.2,18.893,M,-25.669,M,2.0,0031*4F")]
    [InlineData("$GPGGA,,,,,,0,00,99.99,,,,,,*48")]
    [InlineData("$GPRMC,,V,,,,,,,,,,N*53")]
    public void Checksums_of_the_reference_sentences(string sentence)
    {
        Assert.Equal(NmeaLine.Sentence, Nmea.Check(Encoding.ASCII.GetBytes(sentence)));
        string flipped = string.Concat(sentence.AsSpan(0, 3), sentence[3] == 'G' ? "A" : "G", sentence.AsSpan(4)); // one character changed
        Assert.Equal(NmeaLine.ChecksumError, Nmea.Check(Encoding.ASCII.GetBytes(flipped)));
    }

    [Fact]
    public void Lower_case_checksums_count_and_missing_ones_do_not()
    {
        Assert.Equal(NmeaLine.Sentence, Nmea.Check("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"u8));
        Assert.Equal(NmeaLine.Sentence, Nmea.Check("$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7b"u8));
        Assert.Equal(NmeaLine.Malformed, Nmea.Check("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"u8));
        Assert.Equal(NmeaLine.Malformed, Nmea.Check("$GPGGA,123519*4G"u8));
    }

    [Fact]
    public void Gga_and_rmc_of_the_classic_example()
    {
        var gps = new GpsState();
        Assert.True(gps.Update("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"u8, 1, Received));
        Assert.Equal(1, gps.FixQuality);
        Assert.Equal(8, gps.SatellitesUsed);
        Assert.Equal(0.9, gps.Hdop);
        Assert.Equal(48.1173, gps.Latitude);        // 48° 07.038', exactly: rounded to 1e-9°
        Assert.Equal(11.516666667, gps.Longitude);
        Assert.Equal(545.4, gps.Altitude);

        Assert.True(gps.Update("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"u8, 2, Received));
        Assert.Equal(22.4 * 1852 / 3600, gps.Speed, 10);
        Assert.Equal(84.4, gps.Course);
        Assert.Equal(-1, gps.TimeOffset, 6);         // 12:35:19 on 23 March 1994, received at 12:35:20
        Assert.True(gps.HasFix);
    }

    [Fact]
    public void West_and_south_are_negative_and_geoid_separation_may_be_negative()
    {
        var gps = new GpsState();
        Assert.True(gps.Update("$GPGGA,172814.0,3723.46587704,N,12202.26957864,W,2,6,1.2,18.893,M,-25.669,M,2.0,0031*4F"u8, 1, Received));
        Assert.Equal(2, gps.FixQuality); // DGPS
        Assert.Equal(37 + (23.46587704 / 60), gps.Latitude, 8);
        Assert.Equal(-(122 + (2.26957864 / 60)), gps.Longitude, 8);
        Assert.Equal(18.893, gps.Altitude);
    }

    [Fact]
    public void Multi_gnss_rmc_with_an_empty_course()
    {
        var gps = new GpsState();
        Assert.True(gps.Update("$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7B"u8, 1, new DateTimeOffset(2017, 1, 10, 0, 10, 31, TimeSpan.Zero)));
        Assert.Equal(0, gps.TimeOffset, 6);
        Assert.True(double.IsNaN(gps.Course));
        Assert.Equal(0.146 * 1852 / 3600, gps.Speed, 10);
    }

    [Fact]
    public void No_fix_reports_quality_and_satellites_but_no_position()
    {
        var gps = new GpsState();
        gps.Update("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"u8, 1, Received);
        Assert.True(gps.Update("$GPGGA,,,,,,0,00,99.99,,,,,,*48"u8, 2, Received));
        Assert.Equal(0, gps.FixQuality);
        Assert.Equal(0, gps.SatellitesUsed);
        Assert.Equal(99.99, gps.Hdop);
        Assert.True(double.IsNaN(gps.Latitude) && double.IsNaN(gps.Altitude));
        Assert.True(gps.Update("$GPRMC,,V,,,,,,,,,,N*53"u8, 3, Received));
        Assert.False(gps.HasFix);
        Assert.True(double.IsNaN(gps.TimeOffset));
    }

    [Fact]
    public void Gsa_and_gsv_over_two_constellations()
    {
        var gps = new GpsState();
        long now = Stopwatch.GetTimestamp();
        Assert.True(gps.Update(Sentence("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"), now, Received));
        Assert.Equal(3, gps.FixMode);
        Assert.Equal((2.5, 1.3, 2.1), (gps.Pdop, gps.Hdop, gps.Vdop));
        Assert.True(gps.Update(Sentence("GPGSV,2,1,08,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45"), now, Received));
        Assert.True(gps.Update(Sentence("GLGSV,1,1,03,65,30,110,35,66,45,200,38,72,10,020,29"), now, Received));
        Assert.Equal(11, gps.SatellitesInView(now, Stopwatch.Frequency));
        Assert.Equal(double.NaN, gps.SatellitesInView(now + (10 * Stopwatch.Frequency), Stopwatch.Frequency)); // nothing heard lately
        Assert.False(gps.Update(Sentence("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K"), now, Received)); // not used
        Assert.False(gps.Update(Sentence("PUBX,00,081350.00"), now, Received));                      // proprietary
    }

    [Fact]
    public void Lines_split_across_reads_partial_lines_and_garbage()
    {
        var splitter = new NmeaLineSplitter();
        var verdicts = new List<(NmeaLine, string)>();
        byte[] stream = Encoding.Latin1.GetBytes(
            "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n" +
            "\u0001\u00ffnoise\r\n" +
            "$GPRMC,123519,A,4807.0" +                                   // cut off by the next '$'
            "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B\r\n" + // bad checksum
            "$GPGGA," + new string('9', 150) + "*00\r\n" +               // longer than any sentence
            "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\n");
        foreach (int chunk in new[] { 1, 7, 64, stream.Length })
        {
            verdicts.Clear();
            for (int at = 0; at < stream.Length; at += chunk)
            {
                ReadOnlySpan<byte> data = stream.AsSpan(at, Math.Min(chunk, stream.Length - at));
                while (!data.IsEmpty)
                {
                    int used = splitter.Next(data, out ReadOnlySpan<byte> line, out NmeaLine verdict);
                    data = data[used..];
                    if (!line.IsEmpty || verdict != NmeaLine.Sentence)
                    {
                        verdicts.Add((verdict, Encoding.Latin1.GetString(line)));
                    }
                }
            }

            Assert.Equal(
                [NmeaLine.Sentence, NmeaLine.Malformed, NmeaLine.Malformed, NmeaLine.ChecksumError, NmeaLine.Malformed, NmeaLine.Sentence],
                verdicts.Select(v => v.Item1));
            Assert.StartsWith("$GPRMC,123519,A", verdicts[^1].Item2);
        }
    }

    private static byte[] Sentence(string body)
    {
        byte sum = 0;
        foreach (char c in body)
        {
            sum ^= (byte)c;
        }

        return Encoding.ASCII.GetBytes($"${body}*{sum:X2}");
    }
}
