using System.Text;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>mdstat beyond node_exporter's fixture: arrays assembled and stopped at run time, a reshape, and what procfs refuses.</summary>
public class MdadmCollectorTests
{
    private const string Header = "Personalities : [raid1] [raid6] [raid5] [raid4]\n";

    [Fact]
    public void A_reshape_sets_no_state_and_reports_its_position()
    {
        MdadmCollector.MdStatus status = ParseOne(Header
            + "md0 : active raid5 sdd1[3] sdc1[2] sdb1[1] sda1[0]\n"
            + "      2930010112 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n"
            + "      [>....................]  reshape =  1.2% (17611264/1465005056) finish=1234.5min speed=19545K/sec\n"
            + "\nunused devices: <none>\n");
        Assert.Equal(MdadmCollector.MdState.Reshaping, status.State);
        Assert.Equal(17611264, status.BlocksSynced);
        Assert.Equal((4, 4, 2930010112), (status.DisksActive, status.DisksTotal, status.BlocksTotal));
    }

    [Theory]
    [InlineData("md0 :\n", "not enough fields")]
    [InlineData("md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n", "too few lines")]
    [InlineData("md0 : active raid1 sda1[99999999999] sdb1[1]\n      100 blocks [2/2] [UU]\n\n\n", "component index")]
    [InlineData("md0 : active raid1 sda1[0] sdb1[1]\n      99999999999999999999 blocks [2/2] [UU]\n\n\n", "status line")]
    [InlineData("md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2]\n\n\n", "substring matches")]
    [InlineData("md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [99999999999999999999/2] [UU]\n\n\n", "status line")]
    [InlineData("md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n      resync = 5% (1/100) finish=soon speed=1K/sec\n\n", "recovery line")]
    public void What_procfs_refuses_fails_the_parse(string mdstat, string message)
    {
        FormatException error = Assert.Throws<FormatException>(() => MdadmCollector.Parse(Encoding.ASCII.GetBytes(Header + mdstat), new MdadmCollector.MdStatus[4]));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Arrays_assembled_and_stopped_at_run_time_take_and_give_back_their_series()
    {
        string root = Directory.CreateTempSubdirectory("edge-md-").FullName;
        string proc = Path.Combine(root, "proc");
        string sys = Path.Combine(root, "sys");
        Directory.CreateDirectory(proc);
        string mdstat = Path.Combine(proc, "mdstat");
        const string Md0 = "md0 : active raid1 sdb1[1] sda1[0]\n      976630336 blocks super 1.2 [2/2] [UU]\n      bitmap: 0/8 pages [0KB], 65536KB chunk\n\n";
        const string Md1 = "md1 : active raid1 sdd1[1] sdc1[0](F)\n      488254464 blocks super 1.2 [2/1] [U_]\n\n";
        File.WriteAllText(mdstat, Header + Md0 + "unused devices: <none>\n");
        WriteSysArray(sys, "md0", "raid1", degraded: 0);

        (Metrics.MetricStore store, MdadmCollector md, CollectorOutcome outcome) = Scrape.Once(s => new MdadmCollector(s, new HostPaths(proc, sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Exposition text = Render(store);
        Assert.Equal(1, text.Samples["node_md_state{device=\"md0\",state=\"active\"}"]);
        Assert.Equal(976630336, text.Samples["node_md_blocks_synced{device=\"md0\"}"]); // the bitmap line is not a sync line
        Assert.Equal(2, text.Samples["node_md_raid_disks{device=\"md0\"}"]);
        Assert.Equal(0, Scrape.AllocatedBytes(md));

        // mdadm --assemble md1 with a failed member: it appears in mdstat and in sysfs.
        File.WriteAllText(mdstat, Header + Md0 + Md1 + "unused devices: <none>\n");
        WriteSysArray(sys, "md1", "raid1", degraded: 1);
        md.Update();
        text = Render(store);
        Assert.Equal(1, text.Samples["node_md_disks{device=\"md1\",state=\"failed\"}"]);
        Assert.Equal(1, text.Samples["node_md_disks{device=\"md1\",state=\"active\"}"]);
        Assert.Equal(1, text.Samples["node_md_degraded{device=\"md1\"}"]);

        // mdadm --stop md0: its series go with it.
        File.WriteAllText(mdstat, Header + Md1 + "unused devices: <none>\n");
        Directory.Delete(Path.Combine(sys, "block", "md0"), recursive: true);
        md.Update();
        text = Render(store);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("\"md0\"", StringComparison.Ordinal));
        Assert.Equal(488254464, text.Samples["node_md_blocks{device=\"md1\"}"]);
    }

    [Fact]
    public void No_mdstat_is_no_data_and_node_exporters_tree_scrapes_without_allocating()
    {
        string proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;
        (_, MdadmCollector none, CollectorOutcome outcome) = Scrape.Once(s => new MdadmCollector(s, new HostPaths(proc, proc)));
        Assert.Equal(CollectorOutcome.NoData, outcome);
        Assert.Contains("mdstat", none.NoDataReason);
        var fixtures = new HostPaths(Path.Combine(RepoPaths.NodeExporterFixtures, "proc"), Path.Combine(RepoPaths.NodeExporterFixtures, "sys"));
        (_, MdadmCollector md, _) = Scrape.Once(s => new MdadmCollector(s, fixtures));
        Assert.Equal(0, Scrape.AllocatedBytes(md));
    }

    private static MdadmCollector.MdStatus ParseOne(string mdstat)
    {
        var into = new MdadmCollector.MdStatus[4];
        Assert.Equal(1, MdadmCollector.Parse(Encoding.ASCII.GetBytes(mdstat), into));
        return into[0];
    }

    private static void WriteSysArray(string sys, string name, string level, int degraded)
    {
        string md = Path.Combine(sys, "block", name, "md");
        Directory.CreateDirectory(md);
        File.WriteAllText(Path.Combine(md, "level"), level + "\n");
        File.WriteAllText(Path.Combine(md, "raid_disks"), "2\n");
        File.WriteAllText(Path.Combine(md, "degraded"), degraded + "\n");
    }
}
