using EdgeExporter.RemoteWrite;

namespace EdgeExporter.RemoteWrite.Tests;

public sealed class QueueStatisticsTests
{
    [Fact]
    public void A_snapshot_compares_by_value()
    {
        Assert.Equal(new QueueStatistics(1, 2, 3, 4, true), new QueueStatistics(1, 2, 3, 4, true));
        Assert.NotEqual(new QueueStatistics(1, 2, 3, 4, true), new QueueStatistics(1, 2, 3, 4, false));
    }
}
