using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>An ADC (ADS1115) as a polled device: <c>edge_voltage_volts</c> per configured input, by <c>channel</c>.</summary>
public sealed class AdcSensor : PolledDevice
{
    private readonly Ads1115 _adc;
    private readonly Series[] _volts;
    private readonly double[] _readings;

    public AdcSensor(DeviceMetrics metrics, DeviceIdentity identity, Ads1115 adc, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _adc = adc;
        _volts = new Series[adc.Inputs.Count];
        for (int i = 0; i < _volts.Length; i++)
        {
            _volts[i] = AddReading(metrics.ChannelVoltage, [new("channel", Ads1115Inputs.Name(adc.Inputs[i]))]);
        }

        _readings = new double[_volts.Length];
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = _adc.Measure(_readings);
        if (error == DeviceError.None)
        {
            for (int i = 0; i < _volts.Length; i++)
            {
                Stage(_volts[i], _readings[i]);
            }
        }

        return error;
    }
}
