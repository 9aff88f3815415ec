using System.Reflection;
using Convolve.Tensors;

namespace Convolve.Tests.Tensors;

/// <summary>
/// A missing shape stays missing: nothing turns a null array into the empty shape [], which
/// downstream reads as a scalar and reports as "does not fit items of []".
/// </summary>
public class ShapeTests
{
    [Fact]
    public void NullArray_IsRefused_NamingTheParameter()
    {
        int[]? none = null;
        var e = Assert.Throws<ArgumentNullException>(() => new Shape(none!));
        Assert.Equal("dimensions", e.ParamName);
    }

    [Fact]
    public void NoConversionFromIntArray()
    {
        // `Shape s = someIntArray;` and `Shape s = cond ? null : dims;` no longer compile;
        // this checks the operator that allowed them is gone.
        var conversions = typeof(Shape).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name is "op_Implicit" or "op_Explicit");
        Assert.Empty(conversions);
    }

    [Fact]
    public void NullInAConditional_StaysNull()
    {
        foreach (bool given in new[] { false, true })
        {
            Shape? shape = given ? new Shape(1, 28, 28) : null;
            Assert.Equal(given, shape.HasValue);
            if (given) Assert.Equal(new Shape(1, 28, 28), shape!.Value);
        }
    }

    [Fact]
    public void ArrayAndSpan_GiveTheSameShape()
    {
        int[] dims = [8, 1, 28, 28];
        Assert.Equal(new Shape(8, 1, 28, 28), new Shape(dims));
        Assert.Equal("[8, 1, 28, 28]", new Shape(dims).ToString());
        Assert.Equal(4, new Shape(dims).Rank);
    }

    [Fact]
    public void NonPositiveDimension_FromAnArray_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Shape(new[] { 2, 0, 3 }));
        Assert.Equal("Shape [2, 0, 3]: dimension 1 is 0; every dimension must be positive.", e.Message);
    }
}
