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
    public void Lower_case_checksums_count_and_missing_ones_are_left_to_the_sentence_type()
    {
        Assert.Equal(NmeaLine.Sentence, Nmea.Check("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"u8));
        Assert.Equal(NmeaLine.Sentence, Nmea.Check("$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7b"u8));
        Assert.Equal(NmeaLine.Unchecked, Nmea.Check("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"u8));
        Assert.Equal(NmeaLine.Unchecked, Nmea.Check("$POLYN,TIME,RESTART_OCCURRED"u8)); // MediaTek's, as the mtk-3301 log has it
        Assert.Equal(NmeaLine.Malformed, Nmea.Check("$GPGGA,123519*4G"u8));
        Assert.Equal(NmeaLine.Malformed, Nmea.Check("$gpgga,123519,4807.038"u8)); // no address: not a sentence at all
    }

    [Fact]
    public void Without_a_checksum_only_whole_sentences_the_standard_lets_go_unchecked_are_read()
    {
        // NMEA 0183 2.0: the checksum is optional except in RMA, RMB and RMC.
        var gps = new GpsState();
        Assert.Equal(NmeaUse.Used, gps.Update("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"u8, 1, Received, isChecked: false));
        Assert.Equal(NmeaUse.Refused, gps.Update("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,54"u8, 1, Received, isChecked: false)); // cut short
        Assert.Equal(NmeaUse.Refused, gps.Update("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"u8, 1, Received, isChecked: false));
        Assert.Equal(NmeaUse.Ignored, gps.Update("$POLYN,EPH,0,00000000"u8, 1, Received, isChecked: false));
        gps.EndOfBurst();
        Assert.Equal(545.4, gps.Altitude);
    }

    [Fact]
    public void Gga_and_rmc_of_the_classic_example()
    {
        var gps = new GpsState();
        Assert.Equal(NmeaUse.Used, gps.Update("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"u8, 1, Received));
        gps.EndOfBurst();
        Assert.Equal(1, gps.FixQuality);
        Assert.Equal(8, gps.SatellitesUsed(GnssSystem.Gps)); // GGA's count, with no GSA in the epoch
        Assert.Equal(3, gps.FixMode);                        // no GSA: a fix with an altitude is 3D
        Assert.Equal(0.9, gps.Hdop);
        Assert.Equal(48.1173, gps.Latitude);        // 48° 07.038', exactly: rounded to 1e-9°
        Assert.Equal(11.516666667, gps.Longitude);
        Assert.Equal(545.4, gps.Altitude);

        Assert.Equal(NmeaUse.Used, gps.Update("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"u8, 2, Received));
        gps.EndOfBurst();
        Assert.Equal(0, gps.Epochs); // same time, another type: the same epoch
        Assert.Equal(22.4 * 1852 / 3600, gps.Speed, 10);
        Assert.Equal(84.4, gps.Course);
        Assert.Equal(-1, gps.TimeOffset, 6);         // 12:35:19 on 23 March 1994, received at 12:35:20
        Assert.True(gps.HasFix);
    }

    [Fact]
    public void West_and_south_are_negative_and_geoid_separation_may_be_negative()
    {
        var gps = new GpsState();
        Assert.Equal(NmeaUse.Used, gps.Update("$GPGGA,172814.0,3723.46587704,N,12202.26957864,W,2,6,1.2,18.893,M,-25.669,M,2.0,0031*4F"u8, 1, Received));
        gps.EndOfBurst();
        Assert.Equal(2, gps.FixQuality); // DGPS
        Assert.Equal(37 + (23.46587704 / 60), gps.Latitude, 8);
        Assert.Equal(-(122 + (2.26957864 / 60)), gps.Longitude, 8);
        Assert.Equal(18.893, gps.Altitude);
    }

    [Fact]
    public void Multi_gnss_rmc_with_an_empty_course()
    {
        var gps = new GpsState();
        Assert.Equal(NmeaUse.Used, gps.Update("$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7B"u8, 1, new DateTimeOffset(2017, 1, 10, 0, 10, 31, TimeSpan.Zero)));
        gps.EndOfBurst();
        Assert.Equal(0, gps.TimeOffset, 6);
        Assert.True(double.IsNaN(gps.Course));
        Assert.Equal(0.146 * 1852 / 3600, gps.Speed, 10);
    }

    [Fact]
    public void No_fix_reports_quality_and_satellites_but_no_position_and_no_placeholder_dops()
    {
        var gps = new GpsState();
        gps.Update("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"u8, 1, Received);
        Assert.Equal(NmeaUse.Used, gps.Update("$GPGGA,,,,,,0,00,99.99,,,,,,*48"u8, 2, Received)); // a second GGA: the next epoch
        Assert.Equal(1, gps.Epochs);
        Assert.Equal(0.9, gps.Hdop);
        gps.EndOfBurst();
        Assert.Equal(0, gps.FixQuality);
        Assert.Equal(0, gps.SatellitesUsed(GnssSystem.Gps));
        Assert.Equal(1, gps.FixMode);
        Assert.True(double.IsNaN(gps.Hdop), "99.99 is the receiver's 'unknown', not a DOP");
        Assert.True(double.IsNaN(gps.Latitude) && double.IsNaN(gps.Altitude));
        Assert.Equal(NmeaUse.Used, gps.Update("$GPRMC,,V,,,,,,,,,,N*53"u8, 3, Received));
        gps.EndOfBurst();
        Assert.False(gps.HasFix);
        Assert.True(double.IsNaN(gps.TimeOffset));

        var noFix = new GpsState(); // a u-blox without a fix: GSA mode 1 with 0.0 DOPs elsewhere
        noFix.Update(Sentence("GPGGA,092725.00,,,,,0,00,0.0,,,,,,"), 1, Received);
        noFix.Update(Sentence("GPGSA,A,1,,,,,,,,,,,,,0.0,0.0,0.0"), 1, Received);
        noFix.EndOfBurst();
        Assert.Equal(1, noFix.FixMode);
        Assert.True(double.IsNaN(noFix.Hdop) && double.IsNaN(noFix.Pdop) && double.IsNaN(noFix.Vdop));
        Assert.Equal(0, noFix.SatellitesUsed(GnssSystem.Gps));
    }

    [Fact]
    public void Gsa_and_gsv_over_two_constellations()
    {
        var gps = new GpsState();
        long now = Stopwatch.GetTimestamp();
        Assert.Equal(NmeaUse.Used, gps.Update(Sentence("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"), now, Received));
        Assert.Equal(NmeaUse.Used, gps.Update(Sentence("GPGSV,2,1,08,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45"), now, Received));
        Assert.Equal(NmeaUse.Used, gps.Update(Sentence("GPGSV,2,2,08,03,40,083,46,04,17,308,41,33,07,344,39,34,22,228,45"), now, Received));
        Assert.Equal(NmeaUse.Used, gps.Update(Sentence("GLGSV,1,1,03,65,30,110,35,66,45,200,38,72,10,020,29"), now, Received));
        gps.EndOfBurst();
        Assert.Equal(3, gps.FixMode);
        Assert.Equal((2.5, 1.3, 2.1), (gps.Pdop, gps.Hdop, gps.Vdop));
        Assert.Equal(5, gps.SatellitesUsed(GnssSystem.Gps));
        Assert.Equal(6, gps.SatellitesInView(GnssSystem.Gps, now, Stopwatch.Frequency));
        Assert.Equal(2, gps.SatellitesInView(GnssSystem.Sbas, now, Stopwatch.Frequency)); // NMEA's 33 and 34 are SBAS (PRN 120, 121)
        Assert.Equal(3, gps.SatellitesInView(GnssSystem.Glonass, now, Stopwatch.Frequency));
        Assert.Equal(11, gps.SatellitesInView(now, Stopwatch.Frequency));
        Assert.Equal(double.NaN, gps.SatellitesInView(now + (10 * Stopwatch.Frequency), Stopwatch.Frequency)); // nothing heard lately
        Assert.Equal(NmeaUse.Ignored, gps.Update(Sentence("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K"), now, Received)); // not read
        Assert.Equal(NmeaUse.Ignored, gps.Update(Sentence("PUBX,00,081350.00"), now, Received));                      // proprietary
    }

    [Fact]
    public void A_checksummed_sentence_of_a_type_we_read_that_cannot_be_read_is_refused()
    {
        var gps = new GpsState();
        Assert.Equal(NmeaUse.Refused, gps.Update(Sentence("GPGGA,123519,4807.038,N,01131.000,E,X,08,0.9,545.4,M,46.9,M,,"), 1, Received)); // quality X
        Assert.Equal(NmeaUse.Refused, gps.Update(Sentence("GPRMC,123519,Q,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), 1, Received)); // status Q
        Assert.Equal(NmeaUse.Refused, gps.Update(Sentence("GPGSA,A,7,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"), 1, Received));    // mode 7
        Assert.Equal(NmeaUse.Refused, gps.Update(Sentence("GPGSV,2,3,08,01,40,083,46"), 1, Received));                         // message 3 of 2
        Assert.Equal(NmeaUse.Ignored, gps.Update(Sentence("GNTXT,01,01,02,u-blox AG - www.u-blox.com"), 1, Received));
        gps.EndOfBurst();
        Assert.Equal(double.NaN, gps.FixQuality); // nothing was read
    }

    [Fact]
    public void Satellites_used_are_the_union_of_the_epochs_gsa_sentences_across_systems()
    {
        // u-blox NEO-M9N (ublox-neo-m9n-nmea.log): one GNGSA per system with its NMEA 4.10 id; GGA says 12.
        var gps = new GpsState();
        foreach (string line in new[]
        {
            "$GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V*0E",
            "$GNGGA,223745.00,3806.62964,N,12237.61382,W,2,12,0.54,83.1,M,-29.5,M,,0000*44",
            "$GNGSA,A,3,29,20,18,16,51,13,44,26,,,,,0.99,0.54,0.83,1*0E",
            "$GNGSA,A,3,82,73,74,67,81,83,68,,,,,,0.99,0.54,0.83,2*08",
            "$GNGSA,A,3,03,05,30,27,15,,,,,,,,0.99,0.54,0.83,3*0D",
            "$GNGSA,A,3,32,28,30,33,27,,,,,,,,0.99,0.54,0.83,4*03",
        })
        {
            Assert.Equal(NmeaUse.Used, gps.Update(Encoding.ASCII.GetBytes(line), 1, Received));
        }

        gps.EndOfBurst();
        Assert.Equal(25, gps.SatellitesUsed());
        Assert.Equal((6, 2, 7, 5, 5), (gps.SatellitesUsed(GnssSystem.Gps), gps.SatellitesUsed(GnssSystem.Sbas), gps.SatellitesUsed(GnssSystem.Glonass), gps.SatellitesUsed(GnssSystem.Galileo), gps.SatellitesUsed(GnssSystem.Beidou)));
        Assert.Equal(double.NaN, gps.SatellitesUsed(GnssSystem.Unknown));

        // SiRFstarV (sirfstarv-nmea.log): a GPGGA and a GLGGA, each with its own system's count, then two GNGSA without ids.
        var sirf = new GpsState();
        foreach (string line in new[]
        {
            "$GPGGA,020938.000,4404.1351,N,12118.8557,W,1,10,0.7,1123.8,M,-19.6,M,,0000*54",
            "$GLGGA,020938.000,4404.1351,N,12118.8557,W,1,05,0.7,1123.8,M,-19.6,M,,0000*4C",
            "$GNGSA,A,3,15,17,30,28,01,19,18,11,06,24,,,1.1,0.7,0.9*29",
            "$GNGSA,A,3,73,82,71,72,80,,,,,,,,1.1,0.7,0.9*27",
            "$GNRMC,020938.000,A,4404.1351,N,12118.8557,W,0.00,359.11,050219,,,A*64",
        })
        {
            Assert.Equal(NmeaUse.Used, sirf.Update(Encoding.ASCII.GetBytes(line), 1, Received));
        }

        sirf.EndOfBurst();
        Assert.Equal(0, sirf.Epochs); // GPGGA and GLGGA of the same time are one epoch
        Assert.Equal((10, 5), (sirf.SatellitesUsed(GnssSystem.Gps), sirf.SatellitesUsed(GnssSystem.Glonass)));

        // Without a GSA the same two GGA sentences still add up, each for its own system.
        var ggaOnly = new GpsState();
        ggaOnly.Update("$GPGGA,020938.000,4404.1351,N,12118.8557,W,1,10,0.7,1123.8,M,-19.6,M,,0000*54"u8, 1, Received);
        ggaOnly.Update("$GLGGA,020938.000,4404.1351,N,12118.8557,W,1,05,0.7,1123.8,M,-19.6,M,,0000*4C"u8, 1, Received);
        ggaOnly.EndOfBurst();
        Assert.Equal(15, ggaOnly.SatellitesUsed());
    }

    [Fact]
    public void Fix_mode_without_a_gsa_in_the_epoch_is_derived_from_gga()
    {
        // MediaTek MKT-3301 (mtk-3301.log): GSA every few seconds; an old GSA's "no fix" must not stick.
        var gps = new GpsState();
        gps.Update("$GPGGA,081433.591,8960.000000,N,00000.000000,E,0,0,,137.000,M,13.000,M,,*43"u8, 1, Received);
        gps.Update("$GPGSA,A,1,,,,,,,,,,,,,,,*1E"u8, 1, Received);
        gps.Update("$GPGGA,081436.000,5212.982135,N,00653.101394,E,1,3,2.88,102.907,M,47.093,M,,*5F"u8, 2, Received);
        Assert.Equal(1, gps.FixMode); // the epoch before: its GSA said no fix
        gps.Update("$GPRMC,081436.000,A,5212.982135,N,00653.101394,E,0.039,0.00,230808,,,A*53"u8, 2, Received);
        gps.EndOfBurst();
        Assert.Equal(3, gps.FixMode);    // quality 1, a position and an altitude
        Assert.Equal(2.88, gps.Hdop);
        Assert.Equal(3, gps.SatellitesUsed(GnssSystem.Gps));
        Assert.Equal(52.216368917, gps.Latitude, 9);
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
            "$GPGGA," + new string('9', 150) + "*00\r\n" +               // longer than any sentence, and a wrong checksum
            "$PMTKCHN,21422,28522,26482,25452,07442,08502,27482,10442,15452,03392,19392,02031,29342,23031,14001,11001,16001,05001,20001,22001,18001,06001,09001,13001,30001,04001,01001,24001,31001,17001,12001,32001*45\r\n" + // overlong and valid
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
                [NmeaLine.Sentence, NmeaLine.Malformed, NmeaLine.Malformed, NmeaLine.ChecksumError, NmeaLine.ChecksumError, NmeaLine.Overlong, NmeaLine.Sentence],
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
