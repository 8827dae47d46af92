using Tokamak.Training;
using Tokamak.Training.Optim;

namespace Tokamak.Tests.Training;

public class OptimizerTests
{
    private static ParameterLayout TwoTensors()
    {
        var l = new ParameterLayout();
        l.Add("w", [2, 2], decay: true);
        l.Add("b", [2], decay: false);
        return l;
    }

    [Fact]
    public void AdamWTwoStepsMatchHandComputedUpdate()
    {
        var layout = TwoTensors();
        float lr = 0.1f, b1 = 0.9f, b2 = 0.99f, eps = 1e-8f, wd = 0.5f;
        var opt = new AdamW(layout, b1, b2, eps, wd);
        float[] p = [1f, -2f, 0.5f, 3f, 1f, -1f];
        float[] g1 = [0.1f, -0.2f, 0.3f, 0f, 0.5f, -0.5f];
        float[] g2 = [0.2f, 0.1f, -0.1f, 0.4f, 0.5f, 1f];
        var expect = p.Select(x => (double)x).ToArray();
        var m = new double[6]; var v = new double[6];
        for (int step = 1; step <= 2; step++)
        {
            var g = step == 1 ? g1 : g2;
            opt.Step(p, g, lr);
            for (int i = 0; i < 6; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mh = m[i] / (1 - Math.Pow(b1, step)), vh = v[i] / (1 - Math.Pow(b2, step));
                double decay = i < 4 ? wd : 0; // "b" is excluded from decay
                expect[i] -= lr * (mh / (Math.Sqrt(vh) + eps) + decay * expect[i]);
            }
            for (int i = 0; i < 6; i++) Assert.Equal(expect[i], p[i], 5);
        }
        Assert.Equal(2, opt.StepCount);
    }

    [Fact]
    public void AdamWFirstStepByHand()
    {
        var layout = TwoTensors();
        var opt = new AdamW(layout, weightDecay: 0.5f);
        float[] p = [1f, 0f, 0f, 0f, 1f, 0f];
        float[] g = [0.1f, 0f, 0f, 0f, -0.3f, 0f];
        opt.Step(p, g, 0.1f);
        Assert.Equal(1 - 0.1 * (1 + 0.5), p[0], 5); // decayed matrix entry
        Assert.Equal(1 + 0.1, p[4], 5);             // bias: no decay, step of +lr
        Assert.Equal(0f, p[1]);
    }

    [Fact]
    public void SgdMomentumMatchesHandComputed()
    {
        var opt = new SgdMomentum(TwoTensors(), momentum: 0.9f, weightDecay: 0.1f);
        float[] p = [1f, 1f, 1f, 1f, 1f, 1f];
        float[] g = [1f, 0f, 0f, 0f, 1f, 0f];
        opt.Step(p, g, 0.5f);
        // buf = g + 0.1·p = 1.1 (decayed) / 1.0 (bias); p = 1 − 0.5·buf
        Assert.Equal(1 - 0.5 * 1.1, p[0], 6);
        Assert.Equal(0.5, p[4], 6);
        opt.Step(p, g, 0.5f);
        double buf0 = 0.9 * 1.1 + 1 + 0.1 * (1 - 0.55);
        Assert.Equal(1 - 0.55 - 0.5 * buf0, p[0], 5);
        Assert.Equal(0.5 - 0.5 * (0.9 + 1), p[4], 5);
    }

    [Fact]
    public void SchedulesMatchClosedForms()
    {
        const float peak = 1e-3f, min = 1e-4f;
        const int warm = 10, total = 110;
        var cos = new CosineSchedule(peak, total, warm, min);
        Assert.Equal(peak * 1 / 10.0, cos.At(0), 9);
        Assert.Equal(peak * 5 / 10.0, cos.At(4), 9);
        Assert.Equal(peak, cos.At(10), 9);
        Assert.Equal(min + 0.5 * (peak - min) * (1 + Math.Cos(Math.PI * 0.25)), cos.At(35), 9);
        Assert.Equal((peak + min) / 2, cos.At(60), 9);
        Assert.Equal(min, cos.At(110), 9);
        Assert.Equal(min, cos.At(500), 9);

        var lin = new LinearSchedule(peak, total, warm, min);
        Assert.Equal(peak - (peak - min) * 0.3, lin.At(40), 9);
        Assert.Equal(min, lin.At(200), 9);

        var con = new ConstantSchedule(peak, warm);
        Assert.Equal(peak * 3 / 10.0, con.At(2), 9);
        Assert.Equal(peak, con.At(1000), 9);

        var stp = new StepSchedule(peak, stepSize: 30, gamma: 0.5f, warmupSteps: warm);
        Assert.Equal(peak, stp.At(39), 9);
        Assert.Equal(peak * 0.5, stp.At(40), 9);
        Assert.Equal(peak * 0.25, stp.At(75), 9);

        var exp = new ExponentialSchedule(peak, 0.9f, warm);
        Assert.Equal(peak * Math.Pow(0.9, 7), exp.At(17), 9);
        Assert.Equal(peak, new ExponentialSchedule(peak, 0.9f).At(0), 9);
    }

    [Fact]
    public void GlobalNormClipping()
    {
        float[] g = [3f, 0f, 4f, 0f];
        Assert.Equal(5.0, GradientClipping.ClipGlobalNorm(g, 10), 6);
        Assert.Equal([3f, 0f, 4f, 0f], g); // under the limit: untouched
        Assert.Equal(5.0, GradientClipping.ClipGlobalNorm(g, 1), 6);
        Assert.Equal(0.6, g[0], 6);
        Assert.Equal(0.8, g[2], 6);
        Assert.Equal(1.0, GradientClipping.GlobalNorm(g), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGlobalNorm(g, 0));
    }
}
