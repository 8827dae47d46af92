namespace Tokamak.Engine;

/// <summary>
/// Rate of a growing counter over a recent window: the difference to an anchor between one and two windows old
/// (anchors move forward once per window), so the rate follows load changes within seconds without per-sample storage.
/// </summary>
internal sealed class RateMeter(double windowSeconds)
{
    private double _prevTime, _curTime;
    private long _prevCount, _curCount;

    /// <summary>Records <paramref name="count"/> at <paramref name="seconds"/> and returns the recent rate per second.</summary>
    public double Update(double seconds, long count)
    {
        if (seconds - _curTime >= windowSeconds)
        {
            (_prevTime, _prevCount) = (_curTime, _curCount);
            (_curTime, _curCount) = (seconds, count);
        }
        double dt = seconds - _prevTime;
        return dt > 0 ? (count - _prevCount) / dt : 0;
    }
}
