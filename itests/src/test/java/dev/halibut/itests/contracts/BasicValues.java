package dev.halibut.itests.contracts;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.framework.Version;

/** A DTO (public fields, no behaviour) holding every data type Remote Services lists for osgi.basic. */
public class BasicValues {
    public boolean z;
    public byte b;
    public short s;
    public char c;
    public int i;
    public long l;
    public float f;
    public double d;
    public Boolean boxedBoolean;
    public Integer boxedInt;
    public Long boxedLong;
    public Double boxedDouble;
    public Character boxedChar;
    public String text;
    public Version version;
    public Colour colour;
    public int[] ints;
    public String[] texts;
    public List<String> list;
    public Set<Long> set;
    public Map<String, Integer> map;
    public BasicValues nested;

    /** An enum, which osgi.basic lists too. */
    public enum Colour { RED, GREEN }

    /** Every field, for comparing two values in a test. */
    public static String fields(BasicValues v) {
        return v == null ? "null" : List.of(v.z, v.b, v.s, v.c, v.i, v.l, v.f, v.d, String.valueOf(v.boxedBoolean),
                String.valueOf(v.boxedInt), String.valueOf(v.boxedLong), String.valueOf(v.boxedDouble),
                String.valueOf(v.boxedChar), String.valueOf(v.text), String.valueOf(v.version), String.valueOf(v.colour),
                Arrays.toString(v.ints), Arrays.toString(v.texts), String.valueOf(v.list), String.valueOf(v.set),
                String.valueOf(v.map), fields(v.nested)).toString();
    }
}
