<?php

/**
 * Prints the API of the sidecast extension as sorted lines: `describe-api.php extension`
 * reflects the loaded extension, `describe-api.php <stub file>` the classes and functions the
 * stub file declares (run it without the extension loaded).
 */

function describe_type(?ReflectionType $type): string
{
    return $type === null ? '-' : (string) $type;
}

function describe_function(ReflectionFunctionAbstract $function, string $prefix): array
{
    $params = [];
    foreach ($function->getParameters() as $param) {
        $params[] = sprintf(
            '%s%s%s$%s%s',
            describe_type($param->getType()).' ',
            $param->isPassedByReference() ? '&' : '',
            $param->isVariadic() ? '...' : '',
            $param->getName(),
            $param->isDefaultValueAvailable() ? ' = '.var_export($param->getDefaultValue(), true) : ($param->isOptional() ? ' (optional)' : ''),
        );
    }

    return ["{$prefix}{$function->getName()}(".implode(', ', $params).'): '.describe_type($function->getReturnType())];
}

function describe_class(ReflectionClass $class): array
{
    $name = $class->getName();
    $lines = [sprintf(
        'class %s%s%s extends %s implements %s',
        $class->isFinal() ? 'final ' : '',
        $class->isAbstract() ? 'abstract ' : '',
        $name,
        $class->getParentClass() ? $class->getParentClass()->getName() : '-',
        implode(',', $class->getInterfaceNames()) ?: '-',
    )];
    foreach ($class->getReflectionConstants() as $constant) {
        if ($constant->getDeclaringClass()->getName() === $name) {
            $lines[] = "const {$name}::{$constant->getName()} = ".var_export($constant->getValue(), true);
        }
    }
    foreach ($class->getMethods() as $method) {
        if ($method->getDeclaringClass()->getName() === $name) {
            $modifiers = implode(' ', Reflection::getModifierNames($method->getModifiers()));
            $lines = array_merge($lines, describe_function($method, "method {$modifiers} {$name}::"));
        }
    }

    return $lines;
}

$source = $argv[1] ?? '';
if ($source === 'extension') {
    $extension = new ReflectionExtension('sidecast');
    $classes = $extension->getClasses();
    $functions = $extension->getFunctions();
    $constants = $extension->getConstants();
} else {
    $classesBefore = get_declared_classes();
    $functionsBefore = get_defined_functions()['user'];
    $constantsBefore = get_defined_constants();
    require $source;
    $classes = array_map(fn ($c) => new ReflectionClass($c), array_diff(get_declared_classes(), $classesBefore));
    $functions = array_map(fn ($f) => new ReflectionFunction($f), array_diff(get_defined_functions()['user'], $functionsBefore));
    $constants = array_diff_key(get_defined_constants(), $constantsBefore);
}

$lines = [];
foreach ($classes as $class) {
    $lines = array_merge($lines, describe_class($class));
}
foreach ($functions as $function) {
    $lines = array_merge($lines, describe_function($function, 'function '));
}
foreach ($constants as $constant => $value) {
    $lines[] = "constant {$constant} = ".var_export($value, true);
}
sort($lines);
echo implode("\n", $lines), "\n";
