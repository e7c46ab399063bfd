namespace EdgeExporter.Devices;

/// <summary>
/// What the ADS1115's multiplexer connects to the ADC (TI SBAS444E, Config Register, MUX[2:0],
/// bits 14:12): four differential pairs, or one input against GND. The value is the MUX code.
/// </summary>
public enum Ads1115Input
{
    A0MinusA1 = 0,
    A0MinusA3 = 1,
    A1MinusA3 = 2,
    A2MinusA3 = 3,
    A0 = 4,
    A1 = 5,
    A2 = 6,
    A3 = 7,
}

/// <summary>The names the config and the <c>channel</c> label give the inputs: <c>a0</c>, <c>a0-a1</c>.</summary>
public static class Ads1115Inputs
{
    private static readonly string[] Names = ["a0-a1", "a0-a3", "a1-a3", "a2-a3", "a0", "a1", "a2", "a3"];

    public static string Name(Ads1115Input input) => Names[(int)input];

    /// <summary>Every name, for the error that lists them.</summary>
    public static string All => string.Join(", ", Names);

    public static bool TryParse(ReadOnlySpan<char> name, out Ads1115Input input)
    {
        for (int i = 0; i < Names.Length; i++)
        {
            if (name.Equals(Names[i], StringComparison.OrdinalIgnoreCase))
            {
                input = (Ads1115Input)i;
                return true;
            }
        }

        input = default;
        return false;
    }
}
